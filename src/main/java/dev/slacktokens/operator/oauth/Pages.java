package dev.slacktokens.operator.oauth;

import java.util.List;
import java.util.Map;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** The small HTML pages the OAuth endpoints answer with. Everything dynamic is escaped; no token ever appears. */
final class Pages {

    // Black on white, a focus ring on the button, headings for the two audiences of a refusal: readable without any
    // script (the CSP allows none) and at any zoom.
    private static final String STYLE = "<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;"
            + "padding:0 1em;line-height:1.5;color:#111;background:#fff}code,pre{background:#eee;padding:0 .2em}"
            + "pre{padding:.4em;white-space:pre-wrap;word-break:break-all}th{text-align:left;padding-right:1em;"
            + "vertical-align:top}ul{margin:0;padding-left:1.2em}h2{font-size:1.1em;margin-top:1.5em}"
            + "form{margin-top:1.5em}button{font-size:1.1em;padding:.4em 1.2em}button:focus{outline:3px solid #1d4ed8}</style>";

    private Pages() {
    }

    /** A page with what happened and, optionally, what comes next (the "Connected" page). */
    static Response page(int status, String title, String message, String next) {
        return html(status, title, "<p>" + escape(message) + "</p>"
                + (next == null ? "" : "<p><strong>Next:</strong> " + escape(next) + "</p>"));
    }

    /**
     * A refusal: what happened; what the person in front of the page can do (usually the Slack user who opened a
     * link someone gave them); what the connection's owner does, with the command, if anything.
     */
    static Response refusal(int status, String title, String message, String you, String owner, String command) {
        StringBuilder body = new StringBuilder("<p>").append(escape(message)).append("</p>");
        if (you != null) {
            body.append("<h2>What you can do</h2><p>").append(escape(you)).append("</p>");
        }
        if (owner != null || command != null) {
            body.append("<h2>If you own this connection</h2>");
            if (owner != null) {
                body.append("<p>").append(escape(owner)).append("</p>");
            }
            if (command != null) {
                body.append("<pre><code>").append(escape(command)).append("</code></pre>");
            }
        }
        return html(status, title, body.toString());
    }

    /** A row of the confirmation page: a label and either a value or a list of scopes. */
    record Fact(String label, String value, List<String> scopes, boolean userScopes) {
        static Fact of(String label, String value) {
            return new Fact(label, value, null, false);
        }

        static Fact scopes(String label, List<String> scopes, boolean userScopes) {
            return new Fact(label, null, scopes, userScopes);
        }
    }

    /**
     * The confirmation shown before Slack is asked: what will receive the token, and one button that POSTs the
     * hidden fields to {@code action}. User scopes are listed with what each lets a workload do as the Slack user.
     */
    static Response confirmation(String title, String intro, List<Fact> facts, String note, String action,
            Map<String, String> hidden, String button) {
        StringBuilder body = new StringBuilder("<p>").append(escape(intro)).append("</p><table>");
        for (Fact fact : facts) {
            body.append("<tr><th scope=\"row\">").append(escape(fact.label())).append("</th><td>");
            if (fact.scopes() == null) {
                body.append(escape(fact.value()));
            } else {
                body.append("<ul>");
                for (String scope : fact.scopes()) {
                    body.append("<li><code>").append(escape(scope)).append("</code>");
                    if (fact.userScopes()) {
                        ScopeMeanings.of(scope).ifPresent(m -> body.append(": ").append(escape(m)));
                    }
                    body.append("</li>");
                }
                body.append("</ul>");
            }
            body.append("</td></tr>");
        }
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
                + "</title><meta name=\"viewport\" content=\"width=device-width\">" + STYLE + "</head><body><main><h1>"
                + escape(title) + "</h1>" + body + "</main><footer><p><small>slack-token-operator</small></p></footer>"
                + "</body></html>";
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
