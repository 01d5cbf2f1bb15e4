package dev.slacktokens.operator.events;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies Slack's v0 request signature: {@code X-Slack-Signature = v0=hex(HMAC-SHA256(signing secret,
 * "v0:" + X-Slack-Request-Timestamp + ":" + raw body))}, compared in constant time, with the timestamp within five
 * minutes of now (replay protection).
 */
public final class SlackSignature {

    public static final Duration MAX_AGE = Duration.ofMinutes(5);

    public enum Verdict {
        VALID, MISSING, STALE, BAD_SIGNATURE
    }

    private SlackSignature() {
    }

    public static Verdict verify(String signingSecret, String timestampHeader, byte[] body, String signatureHeader,
            Instant now) {
        if (timestampHeader == null || signatureHeader == null || !signatureHeader.startsWith("v0=")) {
            return Verdict.MISSING;
        }
        long timestamp;
        try {
            timestamp = Long.parseLong(timestampHeader.trim());
        } catch (NumberFormatException e) {
            return Verdict.MISSING;
        }
        // Compared as bounds, not |now - ts|: that difference overflows for timestamps near Long.MIN_VALUE.
        long nowSeconds = now.getEpochSecond();
        if (timestamp < nowSeconds - MAX_AGE.toSeconds() || timestamp > nowSeconds + MAX_AGE.toSeconds()) {
            return Verdict.STALE;
        }
        byte[] expected = ("v0=" + HexFormat.of().formatHex(hmac(signingSecret, timestamp, body)))
                .getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, signatureHeader.trim().getBytes(StandardCharsets.US_ASCII))
                ? Verdict.VALID : Verdict.BAD_SIGNATURE;
    }

    private static byte[] hmac(String secret, long timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update(("v0:" + timestamp + ":").getBytes(StandardCharsets.UTF_8));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
