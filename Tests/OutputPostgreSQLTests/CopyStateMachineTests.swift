import Testing

@testable import OutputPostgreSQL

/// The run's COPY/transaction sequencing, without a server: each event's action, table-driven.
@Suite struct CopyStateMachineTests {
    typealias Machine = CopyStateMachine
    static let target = "\"public\".\"t\""

    func machine(dryRun: Bool = false) -> Machine { Machine(target: Self.target, mode: "insert_direct", isDryRun: dryRun) }

    @Test func directCopyOpensOnTheFirstPageAndEndsForTheLedgerThenCommits() {
        var m = machine()
        #expect(m.state == .open)
        #expect(m.addPage(rowCount: 0) == .none)
        #expect(m.addPage(rowCount: 10) == .beginCopy)
        #expect(m.state == .copying)
        #expect(m.copyStarted() == .sendCopyData)
        #expect(m.addPage(rowCount: 5) == .sendCopyData)
        #expect(m.ledgerWrite() == .endCopy)
        #expect(m.state == .endingCopy(for: .ledger))
        #expect(m.copyEnded() == .writeLedger)
        #expect(m.state == .open)
        #expect(m.ledgerWrite() == .writeLedger)
        #expect(m.ledgerWrite(nothingToWrite: true) == .none)
        #expect(m.commit() == .commit(sources: []))
        #expect(m.state == .committing)
        #expect(m.commitSucceeded() == .cleanUp)
        #expect(m.state == .committed)
        #expect(m.abort() == .none)
    }

    @Test func commitWithTheCopyOpenEndsItFirst() {
        var m = machine()
        #expect(m.addPage(rowCount: 1) == .beginCopy)
        #expect(m.copyStarted() == .sendCopyData)
        #expect(m.commit() == .endCopy)
        #expect(m.state == .endingCopy(for: .commit))
        #expect(m.copyEnded() == .commit(sources: []))
        #expect(m.commitSucceeded() == .cleanUp)
    }

    @Test func aFailedCopyPoisonsTheRunButAbortStillRollsBack() {
        var m = machine()
        #expect(m.addPage(rowCount: 1) == .beginCopy)
        m.copyFailed("connection lost")
        let poisoned = "the COPY into \(Self.target) failed (connection lost), so the run cannot commit"
        #expect(m.state == .open)
        #expect(m.poisoned == poisoned)
        #expect(m.addPage(rowCount: 1) == .fail(poisoned))
        #expect(m.commit() == .fail(poisoned))
        #expect(m.abort() == .rollback)
        #expect(m.state == .aborted)
        #expect(m.abort() == .none)
    }

    @Test func aDirectTaskFailingAfterItsRowsWentInPoisonsTheRun() {
        var m = machine()
        m.directTaskAborted(0, rowsSent: 0)
        #expect(m.poisoned == nil)
        m.directTaskAborted(1, rowsSent: 7)
        #expect(
            m.poisoned == "task 1 failed after 7 of its rows went into \(Self.target) in mode insert_direct, whose tasks share "
                + "one COPY and cannot take rows back, so the run cannot commit (truncate_insert, replace and merge stage "
                + "each task and can drop a failed task's rows)")
        // The first reason stays.
        let first = m.poisoned
        m.directTaskAborted(2, rowsSent: 3)
        #expect(m.poisoned == first)
        #expect(m.abortedTasks == [0, 1, 2])
    }

    @Test func stagingTasksMustEndBeforeCommitAndAbortedOnesAreLeftOut() {
        var m = Machine(target: Self.target, mode: "insert", isDryRun: false)
        #expect(m.openStagingTask(2, table: "s2") == .startStagingCopy)
        #expect(m.openStagingTask(0, table: "s0") == .startStagingCopy)
        #expect(m.openStagingTask(1, table: "s1") == .startStagingCopy)
        #expect(m.taskEnded(0, finished: true, connectionReusable: true) == .reuseConnection)
        #expect(m.commit() == .fail("PostgreSQL output: task(s) 1, 2 did not finish, so the run cannot commit"))
        #expect(m.taskEnded(1, finished: false, connectionReusable: false) == .none)
        #expect(m.taskEnded(2, finished: true, connectionReusable: true) == .reuseConnection)
        #expect(m.commit() == .commit(sources: ["s0", "s2"]))
        #expect(m.commitSucceeded() == .cleanUp)
        #expect(m.takeStagingTables() == ["s0", "s1", "s2"])
        #expect(m.takeStagingTables() == [])
        // A connection that ends after the run is over is not kept.
        #expect(m.taskEnded(3, finished: true, connectionReusable: true) == .none)
    }

    @Test func aFailedCommitLeavesTheRunToAbort() {
        var m = Machine(target: Self.target, mode: "insert", isDryRun: false)
        #expect(m.commit() == .commit(sources: []))
        m.commitFailed()
        #expect(m.state == .open)
        #expect(m.abort() == .rollback)
    }

    @Test func dryRunsSendNothingAndCloseReadOnly() {
        var m = machine(dryRun: true)
        #expect(m.addPage(rowCount: 100) == .none)
        #expect(m.ledgerWrite() == .none)
        #expect(m.commit() == .closeReadOnly)
        #expect(m.state == .committed)
    }

    /// The requests a run that is over refuses.
    enum Request: CaseIterable, Sendable {
        case addPage, ledgerWrite, commit, openStagingTask

        func send(to m: inout Machine) -> Machine.Action {
            switch self {
            case .addPage: return m.addPage(rowCount: 1)
            case .ledgerWrite: return m.ledgerWrite()
            case .commit: return m.commit()
            case .openStagingTask: return m.openStagingTask(0, table: "s")
            }
        }
    }

    @Test(arguments: Request.allCases, [true, false])
    func requestsAfterTheEndFail(request: Request, committed: Bool) {
        var m = machine()
        if committed {
            _ = m.commit()
            _ = m.commitSucceeded()
        } else {
            _ = m.abort()
        }
        let word = committed ? "committed" : "aborted"
        #expect(request.send(to: &m) == .fail("the PostgreSQL output run on \(Self.target) was already \(word)"))
    }
}
