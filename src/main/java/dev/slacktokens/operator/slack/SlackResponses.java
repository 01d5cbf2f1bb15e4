package dev.slacktokens.operator.slack;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import dev.slacktokens.operator.slack.SlackWireModel.AuthTestJson;
import dev.slacktokens.operator.slack.SlackWireModel.OAuthAccessJson;
import dev.slacktokens.operator.slack.SlackWireModel.TeamJson;

/** Turns Slack's wire responses into typed results, or into typed failures when {@code ok} is false. */
final class SlackResponses {

    private SlackResponses() {
    }

    static void requireOk(String method, Boolean ok, String error) {
        if (Boolean.TRUE.equals(ok)) {
            return;
        }
        String code = error == null || error.isBlank() ? "unknown_error" : error;
        if ("ratelimited".equals(code)) {
            // A 200 with ratelimited: no Retry-After to honour, so wait a conservative while.
            throw new SlackRateLimitedException(method, Duration.ofSeconds(30));
        }
        if (SlackClient.isTransientError(code)) {
            throw new SlackTransientException(method, code, null, null);
        }
        throw new SlackPermanentException(method, code, null);
    }

    /** The authorization_code grant: user-only, bot+user and org-install shapes. */
    static OAuthGrant toGrant(String method, OAuthAccessJson json) {
        if (json == null) {
            throw invalid(method, "empty body");
        }
        requireOk(method, json.ok(), json.error());
        var authed = json.authedUser();
        if (authed == null || blank(authed.id())) {
            throw new SlackPermanentException(method, "no_user_token",
                    "Slack granted no user token: the install had no user scopes");
        }
        SlackToken userAccess = SlackToken.ofNullable(authed.accessToken());
        if (userAccess == null) {
            throw new SlackPermanentException(method, "no_user_token",
                    "Slack granted no user token: the install had no user scopes");
        }
        IssuedToken userToken = new IssuedToken(TokenType.user, userAccess,
                Optional.ofNullable(SlackToken.ofNullable(authed.refreshToken())), seconds(authed.expiresIn()),
                scopes(authed.scope()));

        Optional<OAuthGrant.BotGrant> bot = Optional.empty();
        SlackToken botAccess = SlackToken.ofNullable(json.accessToken());
        if (botAccess != null && TokenType.parse(json.tokenType(), TokenType.bot) == TokenType.bot) {
            bot = Optional.of(new OAuthGrant.BotGrant(json.botUserId(),
                    new IssuedToken(TokenType.bot, botAccess, Optional.ofNullable(SlackToken.ofNullable(json.refreshToken())),
                            seconds(json.expiresIn()), scopes(json.scope()))));
        }
        return new OAuthGrant(json.appId(), authed.id(), userToken, bot, ref(json.team()), ref(json.enterprise()),
                Boolean.TRUE.equals(json.isEnterpriseInstall()));
    }

    /** The flat refresh_token grant and oauth.v2.exchange responses. */
    static RefreshedToken toRefreshed(String method, OAuthAccessJson json) {
        if (json == null) {
            throw invalid(method, "empty body");
        }
        requireOk(method, json.ok(), json.error());
        SlackToken access = SlackToken.ofNullable(json.accessToken());
        SlackToken refresh = SlackToken.ofNullable(json.refreshToken());
        // Never let a partial answer replace a stored pair (the old refresh token stays usable in the grace period).
        if (access == null) {
            throw invalid(method, "response lacks access_token");
        }
        if (refresh == null) {
            throw invalid(method, "response lacks refresh_token");
        }
        if (json.expiresIn() == null || json.expiresIn() <= 0) {
            throw invalid(method, "response lacks expires_in");
        }
        TokenType type = TokenType.parse(json.tokenType(), TokenType.user);
        IssuedToken token = new IssuedToken(type, access, Optional.of(refresh), seconds(json.expiresIn()),
                scopes(json.scope()));
        return new RefreshedToken(json.appId(), token, optional(json.userId()), optional(json.botUserId()),
                ref(json.team()), ref(json.enterprise()), Boolean.TRUE.equals(json.isEnterpriseInstall()));
    }

    static AuthIdentity toIdentity(String method, AuthTestJson json) {
        if (json == null) {
            throw invalid(method, "empty body");
        }
        requireOk(method, json.ok(), json.error());
        if (blank(json.userId())) {
            throw invalid(method, "response lacks user_id");
        }
        return new AuthIdentity(json.userId(), optional(json.user()), optional(json.teamId()), optional(json.team()),
                optional(json.enterpriseId()), Boolean.TRUE.equals(json.isEnterpriseInstall()), optional(json.url()),
                optional(json.botId()));
    }

    private static SlackTransientException invalid(String method, String detail) {
        return new SlackTransientException(method, "invalid_response", detail, null);
    }

    private static Optional<SlackRef> ref(TeamJson team) {
        if (team == null || blank(team.id())) {
            return Optional.empty();
        }
        return Optional.of(new SlackRef(team.id(), optional(team.name())));
    }

    private static Optional<Duration> seconds(Long value) {
        return value == null || value <= 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(value));
    }

    static List<String> scopes(String commaSeparated) {
        if (blank(commaSeparated)) {
            return List.of();
        }
        return Arrays.stream(commaSeparated.split(",")).map(String::trim).filter(s -> !s.isEmpty()).distinct()
                .toList();
    }

    private static Optional<String> optional(String value) {
        return blank(value) ? Optional.empty() : Optional.of(value);
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }
}
