import Foundation

/// The OpenAPI 3.1 document (a bundled resource) and the HTML page rendered from it.
enum OpenAPIDocument {
    static let data: Data = {
        guard
            let url = Bundle.module.url(forResource: "openapi", withExtension: "json", subdirectory: "Resources")
                ?? Bundle.module.url(forResource: "openapi", withExtension: "json"),
            let data = try? Data(contentsOf: url)
        else { return Data("{}".utf8) }
        return data
    }()

    static let html: String = render(data)

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// A self-contained page: every operation with its parameters, request body and responses.
    static func render(_ data: Data) -> String {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            return "<p>no document</p>"
        }
        let info = root["info"] as? [String: Any] ?? [:]
        var out = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(escape(info["title"] as? String ?? "API"))</title>
            <style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
            h2{border-bottom:1px solid #ddd;padding-bottom:.3rem}.op{margin:1rem 0;padding:.6rem 1rem;border:1px solid #e3e3e3;border-radius:6px}
            .m{display:inline-block;min-width:4.5rem;font-weight:700;text-transform:uppercase}.get{color:#0a6}.post{color:#06c}
            .put{color:#a60}.delete{color:#c33}code,pre{background:#f6f6f6;padding:.1rem .3rem;border-radius:3px}
            table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}</style></head><body>
            <h1>\(escape(info["title"] as? String ?? "API")) <small>\(escape(info["version"] as? String ?? ""))</small></h1>
            <p>\(escape(info["description"] as? String ?? ""))</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p>

            """
        let paths = root["paths"] as? [String: Any] ?? [:]
        for path in paths.keys.sorted() {
            guard let ops = paths[path] as? [String: Any] else { continue }
            out += "<h2><code>\(escape(path))</code></h2>\n"
            for method in ["get", "post", "put", "delete", "patch"] {
                guard let op = ops[method] as? [String: Any] else { continue }
                out +=
                    "<div class=\"op\"><span class=\"m \(method)\">\(method)</span> <b>\(escape(op["summary"] as? String ?? ""))</b>"
                if let d = op["description"] as? String { out += "<p>\(escape(d))</p>" }
                if let params = op["parameters"] as? [[String: Any]], !params.isEmpty {
                    out += "<table><tr><th>parameter</th><th>in</th><th>description</th></tr>"
                    for p in params {
                        out +=
                            "<tr><td><code>\(escape(p["name"] as? String ?? ""))</code></td><td>\(escape(p["in"] as? String ?? ""))</td>"
                            + "<td>\(escape(p["description"] as? String ?? ""))</td></tr>"
                    }
                    out += "</table>"
                }
                if let responses = op["responses"] as? [String: Any] {
                    let list = responses.keys.sorted().map { code in
                        "<code>\(escape(code))</code> \(escape((responses[code] as? [String: Any])?["description"] as? String ?? ""))"
                    }
                    out += "<p>Responses: \(list.joined(separator: "; "))</p>"
                }
                out += "</div>\n"
            }
        }
        return out + "</body></html>\n"
    }
}
