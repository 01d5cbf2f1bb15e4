package dev.slacktokens.operator.simulator;

import java.util.LinkedHashMap;
import java.util.Map;

/** What a simulated Web API method answers: an HTTP status (200 or 429), a JSON body and extra headers. */
public record SimResponse(int status, Map<String, Object> body, Map<String, String> headers) {

    static SimResponse ok(Map<String, Object> fields) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ok", true);
        body.putAll(fields);
        return new SimResponse(200, body, Map.of());
    }

    static SimResponse error(String error) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ok", false);
        body.put("error", error);
        return new SimResponse(200, body, Map.of());
    }

    static SimResponse rateLimited(long retryAfterSeconds) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ok", false);
        body.put("error", "ratelimited");
        return new SimResponse(429, body, Map.of("Retry-After", Long.toString(retryAfterSeconds)));
    }

    static SimResponse httpError(int status) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ok", false);
        body.put("error", "http_" + status);
        return new SimResponse(status, body, Map.of());
    }

    /** Slack's error string, if this is an error answer. */
    public String error() {
        Object e = body.get("error");
        return e == null ? null : e.toString();
    }
}
