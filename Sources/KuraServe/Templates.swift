import Mustache

/// The pages' Mustache templates. `{{name}}` escapes what it inserts for HTML; no template uses the unescaped
/// forms (`{{{name}}}`, `{{& name}}`), which a test checks, so every value from the warehouse renders as text.
enum Templates {
    /// The templates by name: the pages and the `head` / `foot` partials they share.
    static let sources: [String: String] = [
        "head": head, "foot": foot, "home": home, "job": job, "session": session, "run": run, "runs": runs,
        "files": files, "error": error,
    ]

    /// The parsed templates.
    static func library() throws -> MustacheLibrary {
        var library = MustacheLibrary()
        for (name, text) in sources { try library.register(text, named: name) }
        return library
    }

    static let head = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · kura</title>
        <style>
        body{font:14px/1.4 system-ui,-apple-system,"DejaVu Sans",sans-serif;margin:0;color:#1d232b;background:#f6f7f9}
        header{background:#1d232b;color:#fff;padding:10px 24px;display:flex;gap:24px;align-items:baseline}
        header a{color:#cfd8e3;text-decoration:none} header b{font-size:18px;color:#fff}
        main{padding:16px 24px} h1{font-size:20px;margin:4px 0 12px} h2{font-size:16px;margin:20px 0 8px}
        table{border-collapse:collapse;background:#fff;width:100%;margin-bottom:8px}
        th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e3e6ea;vertical-align:top}
        th{background:#eef1f4;font-weight:600} td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
        a{color:#1a5fb4} code,pre,.mono{font-family:"DejaVu Sans Mono",monospace;font-size:12px}
        pre{white-space:pre-wrap;word-break:break-all;margin:0;max-width:60ch}
        .grid{display:flex;gap:3px;flex-wrap:wrap;max-width:600px}
        .cell{display:inline-block;width:16px;height:16px;border-radius:3px}
        .st{padding:1px 6px;border-radius:8px;color:#fff;font-size:12px}
        .succeeded{background:#2e9a4b} .failed{background:#d1343b} .running{background:#2f7fd6}
        .interrupted{background:#e08a1e} .skipped{background:#9aa3ad}
        .err{color:#a8232a} .muted{color:#6b7580} .pager{margin:8px 0} .pager a{margin-right:16px}
        svg{background:#fff;border:1px solid #e3e6ea} svg polyline{fill:none;stroke:#1a5fb4;stroke-width:2}
        svg circle{fill:#1a5fb4} svg text{font-size:11px;fill:#6b7580}
        footer{padding:8px 24px 24px;color:#6b7580;font-size:12px}
        </style></head>
        <body><header><b>kura</b><a href="/">Jobs</a><a href="/runs">Runs</a><a href="/files">Files</a><a href="/metrics">Metrics</a></header>
        <main>
        """

    static let foot = """
        </main><footer>warehouse {{warehouse}} · rendered {{generatedAt}}</footer></body></html>
        """

    static let sessionCell = """
        <a class="cell {{status}}" href="{{href}}" title="{{sessionTime}} {{status}}{{#error}}: {{error}}{{/error}}" data-session="{{sessionTime}}" data-status="{{status}}"></a>
        """

    static let home = """
        {{> head}}
        <h1>Jobs</h1>
        <table id="jobs"><tr><th>job</th><th>schedule</th><th>zone</th><th>last session</th><th>next session</th><th>recent sessions (oldest → newest)</th></tr>
        {{#jobs}}<tr class="job" data-job="{{name}}"><td><a href="{{href}}">{{name}}</a>{{^defined}} <span class="muted">(no job file)</span>{{/defined}}</td>
        <td class="mono">{{schedule}}</td><td>{{timezone}}</td>
        <td>{{#lastSession}}{{lastSession}} <span class="st {{lastStatus}}">{{lastStatus}}</span>{{/lastSession}}{{^lastSession}}<span class="muted">none yet</span>{{/lastSession}}</td>
        <td>{{#suspended}}<span class="muted">suspended</span>{{/suspended}}{{^suspended}}{{nextSession}}{{/suspended}}</td>
        <td><div class="grid">{{#recent}}\(sessionCell){{/recent}}</div></td></tr>
        {{/jobs}}
        </table>
        {{^jobs}}<p class="muted">No jobs and no job history in this warehouse yet.</p>{{/jobs}}
        <h2>Latest runs</h2>
        \(runTable)
        <p><a href="/runs">All runs</a> · <a href="/files">The file ledger</a></p>
        {{> foot}}
        """

    static let runTable = """
        <table class="runs"><tr><th>run</th><th>target</th><th>mode</th><th>session</th><th>recorded</th><th class="n">files</th><th class="n">read</th><th class="n">loaded</th><th class="n">rejected</th><th class="n">filtered</th></tr>
        {{#runs}}<tr><td class="mono"><a href="{{href}}">{{id}}</a></td><td>{{target}}</td><td>{{mode}}</td><td>{{sessionTime}}</td><td>{{recordedAt}}</td>
        <td class="n">{{taskCount}}</td><td class="n">{{read}}</td><td class="n">{{loaded}}</td><td class="n">{{rejected}}</td><td class="n">{{filtered}}</td></tr>
        {{/runs}}</table>
        {{^runs}}<p class="muted">No runs recorded yet.</p>{{/runs}}
        """

    static let plot = """
        <figure style="display:inline-block;margin:0 16px 8px 0"><figcaption>{{title}} <span class="muted">({{maxLabel}})</span></figcaption>
        <svg width="{{width}}" height="{{height}}" viewBox="0 0 {{width}} {{height}}" role="img" aria-label="{{title}}">
        <polyline points="{{points}}"/>{{#dots}}<circle cx="{{x}}" cy="{{y}}" r="3"><title>{{label}}</title></circle>{{/dots}}
        </svg></figure>
        """

    static let job = """
        {{> head}}
        <h1>Job <span id="job-name">{{name}}</span></h1>
        <p>{{#defined}}schedule <code>{{schedule}}</code> in {{timezone}}{{#suspended}} · <b>suspended</b>{{/suspended}}{{^suspended}} · next session {{nextSession}}{{/suspended}}{{/defined}}{{^defined}}<span class="muted">no job file defines this job; its history is shown</span>{{/defined}}</p>
        {{#durationPlot}}\(plot){{/durationPlot}}{{#rowsPlot}}\(plot){{/rowsPlot}}
        <table id="sessions"><tr><th>session</th><th>status</th><th class="n">attempts</th><th>started</th><th class="n">duration</th><th class="n">rows loaded</th><th>runs</th><th>error</th></tr>
        {{#sessions}}<tr class="session" data-session="{{sessionTime}}"><td><a href="{{href}}">{{sessionTime}}</a></td><td><span class="st {{status}}">{{status}}</span></td>
        <td class="n">{{attempts}}</td><td>{{startedAt}}</td><td class="n">{{duration}}</td><td class="n">{{rowsLoaded}}</td>
        <td>{{#runs}}<a class="mono" href="{{href}}">{{id}}</a> {{/runs}}</td><td class="err"><pre>{{error}}</pre></td></tr>
        {{/sessions}}</table>
        {{^sessions}}<p class="muted">No sessions recorded{{#before}} before {{before}}{{/before}}.</p>{{/sessions}}
        <p class="pager">{{#newerHref}}<a href="{{newerHref}}">← newest</a>{{/newerHref}}{{#olderHref}}<a rel="next" href="{{olderHref}}">older →</a>{{/olderHref}}</p>
        {{> foot}}
        """

    static let session = """
        {{> head}}
        <h1>Job <a href="{{jobHref}}">{{job}}</a>, session {{sessionTime}}</h1>
        <h2>Attempts</h2>
        <table id="attempts"><tr><th class="n">attempt</th><th>status</th><th>started</th><th>finished</th><th class="n">duration</th><th>run id</th><th>error</th></tr>
        {{#attempts}}<tr><td class="n">{{attempt}}</td><td><span class="st {{status}}">{{status}}</span></td><td>{{startedAt}}</td><td>{{finishedAt}}</td>
        <td class="n">{{duration}}</td><td class="mono">{{runID}}</td><td class="err"><pre>{{error}}</pre></td></tr>
        {{/attempts}}</table>
        <h2>Loads</h2>
        \(runTable)
        {{> foot}}
        """

    static let run = """
        {{> head}}
        {{#run}}<h1>Run <span class="mono">{{id}}</span></h1>
        <table><tr><th>target</th><td>{{target}}</td></tr><tr><th>mode</th><td>{{mode}}</td></tr>
        <tr><th>session</th><td>{{sessionTime}}</td></tr><tr><th>recorded</th><td>{{recordedAt}}</td></tr>
        <tr><th>config hash</th><td class="mono">{{configHash}}</td></tr>
        <tr><th>rows</th><td>read {{read}} = loaded {{loaded}} + rejected {{rejected}} + filtered {{filtered}}</td></tr></table>{{/run}}
        <h2>Files</h2>
        <table id="files"><tr><th>file</th><th class="n">bytes</th><th class="n">read</th><th class="n">loaded</th><th class="n">rejected</th><th class="n">filtered</th></tr>
        {{#files}}<tr><td class="mono">{{path}}</td><td class="n">{{size}}</td><td class="n">{{read}}</td><td class="n">{{loaded}}</td><td class="n">{{rejected}}</td><td class="n">{{filtered}}</td></tr>
        {{/files}}</table>
        <h2>Rejected records</h2>
        <table id="rejects"><tr><th class="n">#</th><th>reason</th><th>file:line</th><th>column</th><th>message</th><th>raw text</th></tr>
        {{#rejects}}<tr class="reject"><td class="n">{{number}}</td><td><code>{{code}}</code></td><td class="mono">{{file}}{{#line}}:{{line}}{{/line}}</td><td>{{column}}</td>
        <td>{{message}}</td><td><pre class="raw">{{raw}}</pre>{{#truncated}}<span class="muted">… ({{length}} bytes)</span>{{/truncated}}</td></tr>
        {{/rejects}}</table>
        {{^rejects}}<p class="muted">No rejected records{{#after}} after #{{after}}{{/after}}.</p>{{/rejects}}
        <p class="pager">{{#firstHref}}<a href="{{firstHref}}">← first</a>{{/firstHref}}{{#nextHref}}<a rel="next" href="{{nextHref}}">next →</a>{{/nextHref}}</p>
        {{> foot}}
        """

    static let runs = """
        {{> head}}
        <h1>Runs</h1>
        \(runTable)
        <p class="pager">{{#previousHref}}<a href="{{previousHref}}">← newer</a>{{/previousHref}}{{#nextHref}}<a rel="next" href="{{nextHref}}">older →</a>{{/nextHref}}</p>
        {{> foot}}
        """

    static let files = """
        {{> head}}
        <h1>File ledger</h1>
        <table id="ledger"><tr><th>file</th><th>target</th><th>run</th><th>recorded</th><th class="n">bytes</th><th class="n">read</th><th class="n">loaded</th><th class="n">rejected</th><th class="n">filtered</th></tr>
        {{#files}}<tr><td class="mono">{{path}}</td><td>{{target}}</td><td class="mono"><a href="{{runHref}}">{{runID}}</a></td><td>{{recordedAt}}</td>
        <td class="n">{{size}}</td><td class="n">{{read}}</td><td class="n">{{loaded}}</td><td class="n">{{rejected}}</td><td class="n">{{filtered}}</td></tr>
        {{/files}}</table>
        {{^files}}<p class="muted">No files in the ledger.</p>{{/files}}
        <p class="pager">{{#previousHref}}<a href="{{previousHref}}">← newer</a>{{/previousHref}}{{#nextHref}}<a rel="next" href="{{nextHref}}">older →</a>{{/nextHref}}</p>
        {{> foot}}
        """

    static let error = """
        {{> head}}
        <h1>{{status}} {{title}}</h1>
        <p class="err">{{message}}</p>
        <p><a href="/">Back to the jobs</a></p>
        {{> foot}}
        """
}
