/// The one stylesheet, served at `/assets/wharf.css` (pages carry no inline style, so the content security policy
/// can forbid it). Colours meet WCAG AA contrast on white.
enum Stylesheet {
    static let css = """
        *{box-sizing:border-box}
        body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI","PingFang SC","Noto Sans CJK SC",sans-serif;color:#1c2330;background:#f6f7f9}
        a{color:#1f56b8}a:focus,button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #f2b01e;outline-offset:1px}
        .skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:6px;z-index:9}
        header.top{display:flex;flex-wrap:wrap;gap:16px;align-items:center;padding:12px 24px;background:#fff;border-bottom:1px solid #dde1e8}
        .brand{font-weight:700;font-size:20px;text-decoration:none;color:#1c2330}
        header nav{display:flex;gap:14px;flex:1}header nav a{text-decoration:none}
        .account{display:flex;gap:12px;align-items:center;flex-wrap:wrap}.langs a,.langs strong{margin-left:6px}
        main{max-width:1100px;margin:0 auto;padding:24px}
        footer{display:flex;flex-wrap:wrap;gap:16px;padding:24px;color:#4a5468;border-top:1px solid #dde1e8;font-size:14px}
        h1{font-size:28px;margin:8px 0 16px}h2{font-size:20px;margin:24px 0 8px}
        .hero{padding:32px 0}.lead{font-size:19px;color:#38414f;max-width:720px}
        .grid3{display:grid;grid-template-columns:repeat(auto-fit,minmax(240px,1fr));gap:16px}
        .card{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:16px;margin-bottom:12px}.card h2{margin-top:0}
        .narrow{max-width:480px}.prose{max-width:820px}
        form label{display:block;margin-top:10px;font-weight:600}form p label{font-weight:400}
        input,select,textarea{font:inherit;padding:8px;border:1px solid #8a94a6;border-radius:6px;width:100%;max-width:480px;background:#fff}
        input[type=checkbox]{width:auto}
        button,.button{display:inline-block;font:inherit;padding:8px 16px;margin-top:12px;border:0;border-radius:6px;background:#1f56b8;color:#fff;cursor:pointer;text-decoration:none}
        button.secondary,.button.secondary{background:#e4e8ef;color:#1c2330}button.danger{background:#b3261e}
        button.small,.button.small{padding:4px 10px;margin-top:0;font-size:14px}button.link{background:none;color:#1f56b8;padding:0;margin:0;text-decoration:underline}
        form.inline{display:inline}form:not(.inline):not(.filters)>button{display:block}
        .filters{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-end}.filters label{margin:0;font-weight:400;font-size:14px}
        .filters input,.filters select{width:8.5em;font-weight:400;margin-top:2px;display:block}.filters input[type=date]{width:10.5em}
        .filters button,.filters .button{margin-top:0}
        table{border-collapse:collapse;width:100%;background:#fff;margin:8px 0}th,td{text-align:left;padding:8px;border-bottom:1px solid #e4e8ef;vertical-align:top}
        th{font-size:14px;color:#38414f}.num{text-align:right;font-variant-numeric:tabular-nums}caption{text-align:left;color:#4a5468;padding:4px 0}
        .hint,.muted{color:#4a5468;font-size:14px;margin:4px 0}
        .notice{background:#e6f4ea;border:1px solid #7cb98a;padding:10px;border-radius:6px}.error{background:#fdecea;border:1px solid #d9827a;padding:10px;border-radius:6px}
        .secret{background:#fff8e1;border:1px solid #e0b84c;padding:12px;border-radius:6px}.secret code{font-size:15px;word-break:break-all}
        .consent{background:#1c2330;color:#fff;padding:12px 24px;display:flex;flex-wrap:wrap;gap:12px;align-items:center}.consent a{color:#cfe0ff}.consent p{margin:0;flex:1}.consent button{margin:0}
        .tabs{display:flex;gap:4px;flex-wrap:wrap;margin-bottom:8px;border-bottom:1px solid #dde1e8}.tabs a{padding:8px 12px;text-decoration:none}.tabs a[aria-current=page]{border-bottom:3px solid #1f56b8;font-weight:600}
        .stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:12px}.stat{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:12px}
        .stat .label{display:block;color:#4a5468;font-size:14px}.stat .value{font-size:22px;font-weight:600}
        figure{margin:0;background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:8px}svg.chart{width:100%;height:auto}
        pre{background:#1c2330;color:#e8ecf2;padding:12px;border-radius:6px;overflow:auto}.pre{white-space:pre-wrap}
        dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px}dd{margin:0}
        .pager{display:flex;gap:16px;margin-top:12px}.reply{border-left:3px solid #dde1e8;padding-left:12px;margin:8px 0}
        @media (max-width:640px){main{padding:12px}header.top{padding:10px}table{font-size:14px}}
        @media print{header.top,footer,nav,.no-print,aside.consent{display:none}main{padding:0;max-width:none}}
        """
}
