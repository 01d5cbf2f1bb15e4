package dev.slacktokens.operator.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import dev.slacktokens.operator.slack.SlackToken;

/**
 * A pair's refresh journal, kept in the token store so that it outlives the process: which refresh token the
 * refreshes are about (a digest, never the token), when the last attempt started, and the failures so far with the
 * time of the next try. Written compare-and-set before every Slack call; removed with the refreshed pair.
 * <ul>
 * <li><em>open</em>: an attempt started and its answer was never recorded (a crash, a lost leader): Slack may have
 * rotated the pair, so the refresh is resumed at once with the same refresh token, inside Slack's grace period;</li>
 * <li><em>failed</em>: the attempt ended with an answer and the next attempt waits until {@code retryAt},
 * whoever the leader is then;</li>
 * <li><em>in doubt</em> ({@code inDoubtSince}): an answer that does not say whether Slack rotated the pair (a timeout,
 * a reset connection, a 5xx) was seen since then: every later attempt with this refresh token is checked like a
 * resumed one, however it ends.</li>
 * </ul>
 * Encoded as {@code <digest>@<startedAt>[;failures=n;failedAt=t;retryAt=t;error=e;invalidClient=true;inDoubtSince=t]}.
 */
public record RefreshJournal(String tokenDigest, Instant startedAt, int failures, Optional<Instant> failedAt,
        Optional<Instant> retryAt, Optional<String> error, boolean invalidClient, Optional<Instant> inDoubtSince) {

    public RefreshJournal(String tokenDigest, Instant startedAt, int failures, Optional<Instant> failedAt,
            Optional<Instant> retryAt, Optional<String> error, boolean invalidClient) {
        this(tokenDigest, startedAt, failures, failedAt, retryAt, error, invalidClient, Optional.empty());
    }

    /** A new attempt with this refresh token, carrying the failures and doubt of earlier attempts with the same token. */
    public static RefreshJournal start(SlackToken refreshToken, Instant now, Optional<RefreshJournal> previous) {
        String digest = digest(refreshToken);
        return previous.filter(p -> p.tokenDigest.equals(digest))
                .map(p -> new RefreshJournal(digest, now, p.failures, p.failedAt, p.retryAt, p.error, p.invalidClient,
                        p.inDoubtSince))
                .orElseGet(() -> new RefreshJournal(digest, now, 0, Optional.empty(), Optional.empty(),
                        Optional.empty(), false, Optional.empty()));
    }

    /**
     * This attempt ended with {@code error} (Slack's, or ours for a transport failure); try again at {@code nextTry}.
     *
     * @param unknownOutcome the answer does not say whether Slack rotated the pair: the journal is in doubt from now
     *                       (if it was not already)
     */
    public RefreshJournal failed(Instant now, Instant nextTry, String slackError, boolean badClient,
            boolean unknownOutcome) {
        return new RefreshJournal(tokenDigest, startedAt, failures + 1, Optional.of(now), Optional.of(nextTry),
                Optional.of(slackError.replaceAll("[^A-Za-z0-9_.-]", "_")), badClient,
                inDoubtSince.or(() -> unknownOutcome ? Optional.of(now) : Optional.empty()));
    }

    /** This attempt failed with Slack's word that nothing was minted; try again at {@code nextTry}. */
    public RefreshJournal failed(Instant now, Instant nextTry, String slackError, boolean badClient) {
        return failed(now, nextTry, slackError, badClient, false);
    }

    /**
     * Whether a pair got with this refresh token must be checked with {@code auth.test} before it is used: an attempt
     * whose answer was never recorded (open), or an answer that left the outcome unknown (in doubt).
     */
    public boolean needsCheck() {
        return open() || inDoubtSince.isPresent();
    }

    public boolean isFor(SlackToken refreshToken) {
        return tokenDigest.equals(digest(refreshToken));
    }

    /** Whether the last attempt's answer was never recorded (it may have rotated the pair at Slack). */
    public boolean open() {
        return failedAt.map(startedAt::isAfter).orElse(true);
    }

    public String encode() {
        StringBuilder out = new StringBuilder(tokenDigest).append('@').append(startedAt);
        if (failures > 0) {
            out.append(";failures=").append(failures);
        }
        failedAt.ifPresent(t -> out.append(";failedAt=").append(t));
        retryAt.ifPresent(t -> out.append(";retryAt=").append(t));
        error.ifPresent(e -> out.append(";error=").append(e));
        if (invalidClient) {
            out.append(";invalidClient=true");
        }
        inDoubtSince.ifPresent(t -> out.append(";inDoubtSince=").append(t));
        return out.toString();
    }

    /** Empty for a value that is not a journal (it is then ignored, as if absent). */
    public static Optional<RefreshJournal> decode(String value) {
        if (value == null) {
            return Optional.empty();
        }
        String[] parts = value.split(";");
        int at = parts[0].indexOf('@');
        if (at < 1) {
            return Optional.empty();
        }
        try {
            Map<String, String> fields = new LinkedHashMap<>();
            for (int i = 1; i < parts.length; i++) {
                int eq = parts[i].indexOf('=');
                if (eq > 0) {
                    fields.put(parts[i].substring(0, eq), parts[i].substring(eq + 1));
                }
            }
            return Optional.of(new RefreshJournal(parts[0].substring(0, at), Instant.parse(parts[0].substring(at + 1)),
                    Integer.parseInt(fields.getOrDefault("failures", "0")),
                    Optional.ofNullable(fields.get("failedAt")).map(Instant::parse),
                    Optional.ofNullable(fields.get("retryAt")).map(Instant::parse),
                    Optional.ofNullable(fields.get("error")), "true".equals(fields.get("invalidClient")),
                    Optional.ofNullable(fields.get("inDoubtSince")).map(Instant::parse)));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** A short SHA-256 digest: identifies a token without revealing it. */
    public static String digest(SlackToken token) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(token.reveal().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
