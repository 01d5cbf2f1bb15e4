package dev.slacktokens.operator.slack;

import java.util.Objects;

/**
 * A Slack access or refresh token. Its {@link #toString()} never shows the secret part, so a token can sit in a
 * record, a log argument or an exception without leaking.
 */
public final class SlackToken {

    private final String value;

    private SlackToken(String value) {
        this.value = value;
    }

    /** Wraps a token; {@code null} or blank gives {@code null}, never an empty token. */
    public static SlackToken ofNullable(String value) {
        return value == null || value.isBlank() ? null : new SlackToken(value);
    }

    public static SlackToken of(String value) {
        SlackToken token = ofNullable(value);
        if (token == null) {
            throw new IllegalArgumentException("empty Slack token");
        }
        return token;
    }

    /** The secret value, for the one place that sends or stores it. */
    public String reveal() {
        return value;
    }

    /** The non-secret prefix, e.g. {@code xoxe.xoxp-} or {@code xoxp-}, for logs and diagnostics. */
    public String kindPrefix() {
        return redact(value);
    }

    /** Whether this is a rotating (expiring) token as issued with token rotation on. */
    public boolean isRotating() {
        return value.startsWith("xoxe.") || value.startsWith("xoxe-");
    }

    /** Redacts any token-like string to its well-known prefix. */
    public static String redact(String token) {
        if (token == null) {
            return "null";
        }
        for (String prefix : new String[] { "xoxe.xoxp-", "xoxe.xoxb-", "xoxe-", "xoxp-", "xoxb-", "xoxa-", "xoxr-" }) {
            if (token.startsWith(prefix)) {
                return prefix + "…";
            }
        }
        return "…";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SlackToken other && value.equals(other.value);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(value);
    }

    @Override
    public String toString() {
        return redact(value);
    }
}
