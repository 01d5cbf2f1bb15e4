package dev.slacktokens.operator.slack;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One token as Slack issued it. With token rotation the access token expires and a refresh token comes with it;
 * without rotation both are absent. Absent values stay absent: they are never turned into empty strings.
 */
public record IssuedToken(TokenType type, SlackToken accessToken, Optional<SlackToken> refreshToken,
        Optional<Duration> expiresIn, List<String> scopes) {

    public IssuedToken {
        if (accessToken == null) {
            throw new IllegalArgumentException("an issued token needs an access token");
        }
        scopes = List.copyOf(scopes);
    }

    /** Whether this token expires and must be refreshed (token rotation on). */
    public boolean rotating() {
        return expiresIn.isPresent();
    }

    /** Absolute expiry computed from the moment the response was received. */
    public Optional<Instant> expiresAt(Instant receivedAt) {
        return expiresIn.map(receivedAt::plus);
    }
}
