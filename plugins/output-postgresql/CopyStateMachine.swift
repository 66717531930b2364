/// The sequencing of one PostgreSQL output run, as a pure value: which COPY is open, what may run next on the control
/// connection, which tasks' staging tables go into the final statements, and whether the run may still commit.
///
/// The session feeds it events (a page to add, a COPY started or ended, a task ended, commit, abort) and performs the
/// action it returns; the machine does no I/O. Every event is called with the session's lock held.
///
/// States:
/// - `open`: the run's transaction is open and the control connection is free.
/// - `copying`: a direct mode's COPY is open on the control connection; the tasks' pages go into it.
/// - `endingCopy(for:)`: that COPY is being ended, so the ledger can be written or the run committed.
/// - `committing`: the final statements and `COMMIT` are being sent.
/// - `committed`, `aborted`: the run is over; every later request fails (abort does nothing).
///
/// Apart from the state, a run can be *poisoned*: a direct mode's COPY failed, or a task failed after some of its
/// rows went into the shared COPY. A poisoned run refuses to add rows or commit; only abort (rollback) is left.
struct CopyStateMachine {
    enum State: Equatable {
        case open
        case copying
        case endingCopy(for: Purpose)
        case committing
        case committed
        case aborted
    }

    /// Why the direct COPY is being ended.
    enum Purpose: Equatable {
        /// To write the run record, ledger entries or rejects on the control connection.
        case ledger
        /// To commit.
        case commit
    }

    enum Action: Equatable {
        /// Nothing to send (a dry run, an empty page, nothing to record).
        case none
        /// Refuse the request: throw an error with this message.
        case fail(String)
        /// Start the direct COPY on the control connection (then report `copyStarted()`).
        case beginCopy
        /// Send the page's rows into the open COPY.
        case sendCopyData
        /// End the direct COPY (then report `copyEnded()` or `copyFailed(_:)`).
        case endCopy
        /// Write the run record, ledger entries or rejects on the control connection.
        case writeLedger
        /// Create the task's staging table and start its COPY, on the task's own connection.
        case startStagingCopy
        /// Keep the ended task's connection for a later task.
        case reuseConnection
        /// Send the final statements (moving the rows of `sources`, the staging tables in task order), then `COMMIT`
        /// (then report `commitSucceeded()` or `commitFailed()`).
        case commit(sources: [String])
        /// End a dry run: roll back its read-only transaction and close the connection.
        case closeReadOnly
        /// Drop the staging tables and close the connections (after `COMMIT`).
        case cleanUp
        /// Abort any COPY in progress, `ROLLBACK`, then drop the staging tables and close the connections.
        case rollback
    }

    /// The target, quoted and schema-qualified, for messages.
    let target: String
    /// The mode's name, for messages.
    let mode: String
    /// Whether the run is a dry run (no writes at all).
    let isDryRun: Bool

    private(set) var state = State.open
    /// Why the run can no longer commit, when it cannot.
    private(set) var poisoned: String?
    /// The staging table of each opened task, by task index.
    private(set) var staging: [Int: String] = [:]
    /// Tasks that finished their COPY.
    private(set) var finishedTasks = Set<Int>()
    /// Tasks that aborted: their staging tables are left out of the final statements.
    private(set) var abortedTasks = Set<Int>()

    init(target: String, mode: String, isDryRun: Bool) {
        self.target = target
        self.mode = mode
        self.isDryRun = isDryRun
    }

    /// Whether the run has neither committed nor aborted.
    var isOpen: Bool { state != .committed && state != .aborted }

    /// The failure for a request on a run that is over.
    private var closed: Action {
        .fail("the PostgreSQL output run on \(target) was already \(state == .committed ? "committed" : "aborted")")
    }

    // MARK: - Direct modes

    /// A task has a page of `rowCount` rows for the shared COPY.
    mutating func addPage(rowCount: Int) -> Action {
        guard isOpen else { return closed }
        if let poisoned { return .fail(poisoned) }
        if isDryRun || rowCount == 0 { return .none }
        switch state {
        case .open:
            state = .copying
            return .beginCopy
        case .copying:
            return .sendCopyData
        default:
            return .fail("the PostgreSQL output run on \(target) cannot take rows while it is \(state)")
        }
    }

    /// The direct COPY started.
    mutating func copyStarted() -> Action {
        state == .copying ? .sendCopyData : .none
    }

    /// The direct COPY failed (to start, to take data or to end) with `error`: the run can no longer commit.
    mutating func copyFailed(_ error: String) {
        if case .copying = state { state = .open }
        if case .endingCopy = state { state = .open }
        poisoned = "the COPY into \(target) failed (\(error)), so the run cannot commit"
    }

    /// The direct COPY ended; the request it was ended for may go on.
    mutating func copyEnded() -> Action {
        guard case .endingCopy(let purpose) = state else { return .none }
        switch purpose {
        case .ledger:
            state = .open
            return .writeLedger
        case .commit:
            state = .committing
            return .commit(sources: sources)
        }
    }

    /// A direct-mode task failed after sending `rowsSent` rows; if it sent any, the run can no longer commit.
    mutating func directTaskAborted(_ task: Int, rowsSent: Int) {
        abortedTasks.insert(task)
        if rowsSent > 0 && poisoned == nil {
            poisoned = "task \(task) failed after \(rowsSent) of its rows went into \(target) in mode \(mode), "
                + "whose tasks share one COPY and cannot take rows back, so the run cannot commit "
                + "(truncate_insert, replace and merge stage each task and can drop a failed task's rows)"
        }
    }

    // MARK: - Staging modes

    /// Task `index` opens, with its rows going into staging table `table`.
    mutating func openStagingTask(_ index: Int, table: String) -> Action {
        guard isOpen else { return closed }
        staging[index] = table
        return .startStagingCopy
    }

    /// Task `index` ended (`finished`, or aborted); `connectionReusable` says its connection is healthy and idle.
    mutating func taskEnded(_ index: Int, finished: Bool, connectionReusable: Bool) -> Action {
        if finished { finishedTasks.insert(index) } else { abortedTasks.insert(index) }
        return connectionReusable && isOpen ? .reuseConnection : .none
    }

    /// Takes the staging tables to drop (in name order), forgetting them.
    mutating func takeStagingTables() -> [String] {
        defer { staging.removeAll() }
        return staging.values.sorted()
    }

    // MARK: - Ledger, commit, abort

    /// The run record, ledger entries or rejects are to be written; `nothingToWrite` when the batch is empty.
    mutating func ledgerWrite(nothingToWrite: Bool = false) -> Action {
        guard isOpen else { return closed }
        if isDryRun || nothingToWrite { return .none }
        switch state {
        case .copying:
            state = .endingCopy(for: .ledger)
            return .endCopy
        case .open:
            return .writeLedger
        default:
            return .fail("the PostgreSQL output run on \(target) cannot record the run while it is \(state)")
        }
    }

    /// The runtime commits the run.
    mutating func commit() -> Action {
        guard isOpen else { return closed }
        if let poisoned { return .fail(poisoned) }
        if isDryRun {
            state = .committed
            return .closeReadOnly
        }
        let unfinished = staging.keys.filter { !finishedTasks.contains($0) && !abortedTasks.contains($0) }.sorted()
        if !unfinished.isEmpty {
            return .fail(
                "PostgreSQL output: task(s) \(unfinished.map(String.init).joined(separator: ", ")) did not finish, "
                    + "so the run cannot commit")
        }
        switch state {
        case .copying:
            state = .endingCopy(for: .commit)
            return .endCopy
        case .open:
            state = .committing
            return .commit(sources: sources)
        default:
            return .fail("the PostgreSQL output run on \(target) cannot commit while it is \(state)")
        }
    }

    /// `COMMIT` succeeded.
    mutating func commitSucceeded() -> Action {
        state = .committed
        return .cleanUp
    }

    /// A final statement or `COMMIT` failed: the transaction is still to be rolled back by `abort`.
    mutating func commitFailed() {
        if isOpen { state = .open }
    }

    /// The runtime aborts the run.
    mutating func abort() -> Action {
        guard isOpen else { return .none }
        state = .aborted
        return .rollback
    }

    /// The staging tables of the tasks that did not abort, in task order.
    private var sources: [String] {
        staging.keys.sorted().filter { !abortedTasks.contains($0) }.map { staging[$0]! }
    }
}
