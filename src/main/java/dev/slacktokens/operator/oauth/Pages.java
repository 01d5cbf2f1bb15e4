package dev.slacktokens.operator.oauth;

import java.util.Map;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** The small HTML pages the OAuth endpoints answer with. Everything dynamic is escaped; no token ever appears. */
final class Pages {

    private static final String STYLE = "<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;"
            + "padding:0 1em;line-height:1.5}code{background:#eee;padding:0 .2em}th{text-align:left;padding-right:1em;"
            + "vertical-align:top}button{font-size:1.1em;padding:.4em 1.2em}</style>";

    private Pages() {
    }

    static Response page(int status, String title, String message, String next) {
        return html(status, title, "<p>" + escape(message) + "</p>"
                + (next == null ? "" : "<p><strong>Next:</strong> " + escape(next) + "</p>"));
    }

    /**
     * The confirmation shown before Slack is asked: what will receive the token, and one button that POSTs the
     * hidden fields to {@code action}.
     *
     * @param facts label → value rows, in order
     */
    static Response confirmation(String title, String intro, Map<String, String> facts, String note, String action,
            Map<String, String> hidden, String button) {
        StringBuilder body = new StringBuilder("<p>").append(escape(intro)).append("</p><table>");
        facts.forEach((label, value) -> body.append("<tr><th>").append(escape(label)).append("</th><td>")
                .append(escape(value)).append("</td></tr>"));
        body.append("</table>");
        if (note != null) {
            body.append("<p>").append(escape(note)).append("</p>");
        }
        body.append("<form method=\"post\" action=\"").append(escape(action)).append("\">");
        hidden.forEach((name, value) -> body.append("<input type=\"hidden\" name=\"").append(escape(name))
                .append("\" value=\"").append(escape(value)).append("\">"));
        body.append("<button type=\"submit\">").append(escape(button)).append("</button></form>");
        return html(200, title, body.toString());
    }

    private static Response html(int status, String title, String body) {
        String html = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape(title)
                + "</title><meta name=\"viewport\" content=\"width=device-width\">" + STYLE + "</head><body><h1>"
                + escape(title) + "</h1>" + body + "<p><small>slack-token-operator</small></p></body></html>";
        // frame-ancestors/X-Frame-Options: no page (least of all the confirmation's button) can be framed.
        return Response.status(status).type(MediaType.TEXT_HTML_TYPE.withCharset("utf-8")).entity(html)
                .header("Cache-Control", "no-store").header("X-Content-Type-Options", "nosniff")
                .header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "
                        + "frame-ancestors 'none'")
                .header("X-Frame-Options", "DENY")
                .header("Referrer-Policy", "no-referrer").build();
    }

    static String escape(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(s.length());
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(ch);
            }
        }
        return out.toString();
    }
}
