package dev.slacktokens.operator.simulator;

/**
 * A fault injected into one Web API method (or {@code *} for all): a Slack error string, an HTTP status (429 with
 * Retry-After, 5xx), and/or added latency. It fires with {@code probability} and at most {@code count} times
 * ({@code -1}: unlimited).
 *
 * @param method           Slack method, e.g. {@code oauth.v2.access}, or {@code *}
 * @param error            Slack error string returned with HTTP 200 and ok:false (e.g. {@code internal_error})
 * @param httpStatus       HTTP status to answer instead (429 or 5xx); 0 for none
 * @param retryAfterSeconds Retry-After for a 429
 * @param probability      chance that a call is affected, 0..1
 * @param count            how many calls at most are affected; -1 for no limit
 * @param latencyMillis    delay added before answering
 * @param tokenType        only calls made with a token of this type: {@code user} or {@code bot} (the refresh token
 *                         of an {@code oauth.v2.access} refresh, the bearer token otherwise); null for every call
 * @param afterAction      the method runs first (a refresh rotates the pair), then the latency and the fault's answer
 *                         replace what the caller sees: an outcome the caller cannot see ("maybe done"), as when
 *                         Slack's answer comes after the client's timeout or a 5xx follows a rotation Slack made
 */
public record FaultRule(String method, String error, int httpStatus, long retryAfterSeconds, double probability,
        int count, long latencyMillis, String tokenType, boolean afterAction) {

    public FaultRule(String method, String error, int httpStatus, long retryAfterSeconds, double probability,
            int count, long latencyMillis) {
        this(method, error, httpStatus, retryAfterSeconds, probability, count, latencyMillis, null, false);
    }

    public FaultRule(String method, String error, int httpStatus, long retryAfterSeconds, double probability,
            int count, long latencyMillis, String tokenType) {
        this(method, error, httpStatus, retryAfterSeconds, probability, count, latencyMillis, tokenType, false);
    }

    public FaultRule {
        if (method == null || method.isBlank()) {
            throw new IllegalArgumentException("a fault needs a method (or *)");
        }
        if (probability < 0 || probability > 1) {
            throw new IllegalArgumentException("probability must be between 0 and 1");
        }
        if (httpStatus != 0 && httpStatus != 429 && (httpStatus < 500 || httpStatus > 599)) {
            throw new IllegalArgumentException("httpStatus must be 429 or 5xx");
        }
        if (httpStatus == 429 && retryAfterSeconds <= 0) {
            retryAfterSeconds = 1;
        }
        if (tokenType != null && !tokenType.equals("user") && !tokenType.equals("bot")) {
            throw new IllegalArgumentException("tokenType must be user or bot");
        }
        if ((error == null || error.isBlank()) && httpStatus == 0 && latencyMillis <= 0) {
            throw new IllegalArgumentException("a fault needs an error, an httpStatus or a latency");
        }
    }

    boolean matches(String calledMethod, String calledTokenType) {
        return ("*".equals(method) || method.equals(calledMethod))
                && (tokenType == null || tokenType.equals(calledTokenType));
    }

    /** Whether the fault changes the answer (rather than only delaying it). */
    boolean altersAnswer() {
        return httpStatus != 0 || (error != null && !error.isBlank());
    }

    SimResponse answer() {
        if (httpStatus == 429) {
            return SimResponse.rateLimited(retryAfterSeconds);
        }
        if (httpStatus != 0) {
            return SimResponse.httpError(httpStatus);
        }
        return SimResponse.error(error);
    }
}
