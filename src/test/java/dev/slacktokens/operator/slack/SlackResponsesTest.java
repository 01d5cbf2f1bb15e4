package dev.slacktokens.operator.slack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.slacktokens.operator.slack.SlackWireModel.AuthTestJson;
import dev.slacktokens.operator.slack.SlackWireModel.OAuthAccessJson;

/** Every response shape of shared/slack-api.md, and every failure class, parsed without a network. */
class SlackResponsesTest {

    static final ObjectMapper MAPPER = new ObjectMapper();
    static final String USER_TOKEN = "xoxp-1111-2222-3333-abcdefabcdefabcdefabcdefabcdefab";
    static final String ROTATING = "xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OTAtMTIzNDU2Nzg5MC1zZWNyZXQtc2VjcmV0";
    static final String REFRESH = "xoxe-1-My0xLTEyMzQ1Njc4OTAtc2VjcmV0LXJlZnJlc2gtdG9rZW4tdmFsdWU";

    static OAuthAccessJson access(String json) throws Exception {
        return MAPPER.readValue(json, OAuthAccessJson.class);
    }

    @Test
    void userOnlyInstallHasNoTopLevelToken() throws Exception {
        OAuthGrant grant = SlackResponses.toGrant("oauth.v2.access", access("""
                {"ok":true,"app_id":"A0ADJD0SWPM","authed_user":{"id":"U05288YHV8T","scope":"users:read,chat:write",
                 "access_token":"%s","token_type":"user"},"team":{"id":"T0528CP6K50"},"enterprise":null,
                 "is_enterprise_install":false,"some_future_field":{"x":1}}""".formatted(USER_TOKEN)));
        assertThat(grant.userId()).isEqualTo("U05288YHV8T");
        assertThat(grant.appId()).isEqualTo("A0ADJD0SWPM");
        assertThat(grant.userToken().accessToken().reveal()).isEqualTo(USER_TOKEN);
        assertThat(grant.userToken().scopes()).containsExactly("users:read", "chat:write");
        assertThat(grant.userToken().rotating()).isFalse();
        assertThat(grant.userToken().refreshToken()).isEmpty();
        assertThat(grant.userToken().expiresIn()).isEmpty();
        assertThat(grant.bot()).isEmpty();
        assertThat(grant.team()).contains(new SlackRef("T0528CP6K50", java.util.Optional.empty()));
        assertThat(grant.enterprise()).isEmpty();
        assertThat(grant.enterpriseInstall()).isFalse();
    }

    @Test
    void botPlusUserInstallCarriesBothTokens() throws Exception {
        OAuthGrant grant = SlackResponses.toGrant("oauth.v2.access", access("""
                {"ok":true,"access_token":"xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy","token_type":"bot",
                 "scope":"commands,incoming-webhook","bot_user_id":"U0KRQLJ9H","app_id":"A0KRD7HC3",
                 "team":{"name":"Slack Softball Team","id":"T9TK3CUKW"},
                 "enterprise":{"name":"slack-sports","id":"E12345678"},"is_enterprise_install":false,
                 "authed_user":{"id":"U1234","scope":"chat:write","access_token":"%s","token_type":"user"}}"""
                .formatted(USER_TOKEN)));
        assertThat(grant.bot()).hasValueSatisfying(bot -> {
            assertThat(bot.botUserId()).isEqualTo("U0KRQLJ9H");
            assertThat(bot.token().type()).isEqualTo(TokenType.bot);
            assertThat(bot.token().accessToken().reveal()).startsWith("xoxb-");
            assertThat(bot.token().scopes()).containsExactly("commands", "incoming-webhook");
        });
        assertThat(grant.userToken().type()).isEqualTo(TokenType.user);
        assertThat(grant.team()).contains(new SlackRef("T9TK3CUKW", java.util.Optional.of("Slack Softball Team")));
        assertThat(grant.enterprise()).contains(new SlackRef("E12345678", java.util.Optional.of("slack-sports")));
    }

    @Test
    void rotatingInstallHasRefreshTokenAndExpiry() throws Exception {
        OAuthGrant grant = SlackResponses.toGrant("oauth.v2.access", access("""
                {"ok":true,"app_id":"A1","authed_user":{"id":"U1","scope":"chat:write","access_token":"%s",
                 "token_type":"user","refresh_token":"%s","expires_in":43200},"team":{"id":"T1","name":"W"},
                 "enterprise":null,"is_enterprise_install":false}""".formatted(ROTATING, REFRESH)));
        IssuedToken user = grant.userToken();
        assertThat(user.rotating()).isTrue();
        assertThat(user.accessToken().isRotating()).isTrue();
        assertThat(user.refreshToken()).map(SlackToken::reveal).contains(REFRESH);
        assertThat(user.expiresIn()).contains(Duration.ofHours(12));
        assertThat(user.expiresAt(Instant.parse("2026-01-01T00:00:00Z")))
                .contains(Instant.parse("2026-01-01T12:00:00Z"));
    }

    @Test
    void orgInstallHasNullTeam() throws Exception {
        OAuthGrant grant = SlackResponses.toGrant("oauth.v2.access", access("""
                {"ok":true,"app_id":"A1","team":null,"enterprise":{"id":"E0ORG","name":"Big Org"},
                 "is_enterprise_install":true,"authed_user":{"id":"W1","scope":"chat:write","access_token":"%s",
                 "token_type":"user"}}""".formatted(USER_TOKEN)));
        assertThat(grant.team()).isEmpty();
        assertThat(grant.enterprise()).contains(new SlackRef("E0ORG", java.util.Optional.of("Big Org")));
        assertThat(grant.enterpriseInstall()).isTrue();
    }

    @Test
    void botOnlyInstallIsRefusedBecauseThereIsNoUserToken() throws Exception {
        var e = catchThrowableOfType(SlackPermanentException.class, () -> SlackResponses.toGrant("oauth.v2.access",
                access("""
                        {"ok":true,"access_token":"xoxb-1-2-3","token_type":"bot","scope":"chat:write",
                         "authed_user":{"id":"U1"},"team":{"id":"T1"}}""")));
        assertThat(e.error()).isEqualTo("no_user_token");
        assertThat(e.getMessage()).doesNotContain("xoxb-1-2-3");
    }

    @Test
    void refreshResponseIsFlat() throws Exception {
        RefreshedToken refreshed = SlackResponses.toRefreshed("oauth.v2.access", access("""
                {"ok":true,"app_id":"A0ADJD0SWPM","scope":"identify,users:read,chat:write","token_type":"user",
                 "access_token":"%s","refresh_token":"%s","expires_in":43200,"user_id":"U05288YHV8T",
                 "team":{"id":"T0528CP6K50","name":"Your Workspace Name"},"enterprise":null,
                 "is_enterprise_install":false}""".formatted(ROTATING, REFRESH)));
        assertThat(refreshed.token().accessToken().reveal()).isEqualTo(ROTATING);
        assertThat(refreshed.refreshToken().reveal()).isEqualTo(REFRESH);
        assertThat(refreshed.token().expiresIn()).contains(Duration.ofSeconds(43200));
        assertThat(refreshed.token().scopes()).containsExactly("identify", "users:read", "chat:write");
        assertThat(refreshed.userId()).contains("U05288YHV8T");
        assertThat(refreshed.botUserId()).isEmpty();
        assertThat(refreshed.team()).map(SlackRef::id).contains("T0528CP6K50");
    }

    @Test
    void botRefreshResponseNamesTheBotUser() throws Exception {
        RefreshedToken refreshed = SlackResponses.toRefreshed("oauth.v2.access", access("""
                {"ok":true,"app_id":"A1","scope":"chat:write","token_type":"bot","access_token":"xoxe.xoxb-1-abc",
                 "refresh_token":"%s","expires_in":43200,"bot_user_id":"U0BOT","team":{"id":"T1"}}"""
                .formatted(REFRESH)));
        assertThat(refreshed.token().type()).isEqualTo(TokenType.bot);
        assertThat(refreshed.botUserId()).contains("U0BOT");
        assertThat(refreshed.userId()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = { "refresh_token", "access_token", "expires_in" })
    void aPartialRefreshAnswerNeverReplacesTheStoredPair(String missing) throws Exception {
        var node = (com.fasterxml.jackson.databind.node.ObjectNode) MAPPER.readTree("""
                {"ok":true,"token_type":"user","access_token":"%s","refresh_token":"%s","expires_in":43200,
                 "user_id":"U1"}""".formatted(ROTATING, REFRESH));
        node.remove(missing);
        var e = catchThrowableOfType(SlackTransientException.class,
                () -> SlackResponses.toRefreshed("oauth.v2.access", MAPPER.treeToValue(node, OAuthAccessJson.class)));
        assertThat(e.error()).isEqualTo("invalid_response");
        assertThat(e.getMessage()).contains(missing).doesNotContain(ROTATING).doesNotContain(REFRESH);
    }

    @Test
    void emptyStringsAreAbsentNotEmptyTokens() throws Exception {
        assertThatThrownBy(() -> SlackResponses.toRefreshed("oauth.v2.access", access("""
                {"ok":true,"token_type":"user","access_token":"%s","refresh_token":"","expires_in":43200}"""
                .formatted(ROTATING)))).isInstanceOf(SlackTransientException.class);
        OAuthGrant grant = SlackResponses.toGrant("oauth.v2.access", access("""
                {"ok":true,"authed_user":{"id":"U1","access_token":"%s","refresh_token":"","scope":""},
                 "team":{"id":""}}""".formatted(USER_TOKEN)));
        assertThat(grant.userToken().refreshToken()).isEmpty();
        assertThat(grant.userToken().scopes()).isEmpty();
        assertThat(grant.team()).isEmpty();
    }

    @Test
    void exchangeResponseParsesLikeARefresh() throws Exception {
        RefreshedToken exchanged = SlackResponses.toRefreshed("oauth.v2.exchange", access("""
                {"ok":true,"app_id":"A0ADJD0SWPM","token_type":"user","scope":"users:read,chat:write",
                 "access_token":"%s","expires_in":43200,"refresh_token":"%s","user_id":"U05288YHV8T",
                 "team":{"id":"T0528CP6K50","name":"Your Workspace Name"}}""".formatted(ROTATING, REFRESH)));
        assertThat(exchanged.userId()).contains("U05288YHV8T");
        assertThat(exchanged.token().rotating()).isTrue();
    }

    @Test
    void authTestIdentity() throws Exception {
        AuthIdentity id = SlackResponses.toIdentity("auth.test", MAPPER.readValue("""
                {"ok":true,"url":"https://subarachnoid.slack.com/","team":"Subarachnoid Workspace","user":"grace",
                 "team_id":"T12345678","user_id":"W12345678","enterprise_id":"E1","is_enterprise_install":false}""",
                AuthTestJson.class));
        assertThat(id.userId()).isEqualTo("W12345678");
        assertThat(id.userName()).contains("grace");
        assertThat(id.teamId()).contains("T12345678");
        assertThat(id.teamName()).contains("Subarachnoid Workspace");
        assertThat(id.enterpriseId()).contains("E1");
        assertThat(id.botId()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = { "invalid_refresh_token", "token_revoked", "invalid_client_id", "bad_client_secret",
            "invalid_code", "bad_redirect_uri", "invalid_grant_type", "invalid_code_verifier", "pkce_not_allowed",
            "oauth_authorization_url_mismatch", "no_scopes", "token_expired", "account_inactive",
            "cannot_install_an_org_installed_app", "user_email_unverified", "team_access_not_granted",
            "token_already_exchanged", "token_rotation_not_enabled", "invalid_token", "something_new" })
    void permanentErrors(String error) throws Exception {
        var e = catchThrowableOfType(SlackPermanentException.class,
                () -> SlackResponses.toRefreshed("oauth.v2.access", access("{\"ok\":false,\"error\":\"" + error
                        + "\"}")));
        assertThat(e.error()).isEqualTo(error);
        assertThat(e.method()).isEqualTo("oauth.v2.access");
        assertThat(e.getMessage()).isEqualTo("oauth.v2.access failed: " + error);
    }

    @ParameterizedTest
    @ValueSource(strings = { "internal_error", "service_unavailable", "request_timeout", "fatal_error" })
    void transientErrors(String error) throws Exception {
        var e = catchThrowableOfType(SlackTransientException.class,
                () -> SlackResponses.toIdentity("auth.test", MAPPER.readValue("{\"ok\":false,\"error\":\"" + error
                        + "\"}", AuthTestJson.class)));
        assertThat(e.error()).isEqualTo(error);
    }

    @Test
    void ratelimitedInABodyIsRateLimited() throws Exception {
        var e = catchThrowableOfType(SlackRateLimitedException.class,
                () -> SlackResponses.toRefreshed("oauth.v2.access", access("{\"ok\":false,\"error\":\"ratelimited\"}")));
        assertThat(e.retryAfter()).isPositive();
    }

    @Test
    void errorCategories() {
        assertThat(new SlackPermanentException("m", "invalid_refresh_token", null).isInvalidGrant()).isTrue();
        assertThat(new SlackPermanentException("m", "invalid_code", null).isInvalidGrant()).isTrue();
        assertThat(new SlackPermanentException("m", "bad_client_secret", null).isInvalidClient()).isTrue();
        assertThat(new SlackPermanentException("m", "invalid_client_id", null).isInvalidClient()).isTrue();
        for (String dead : List.of("token_revoked", "invalid_auth", "account_inactive", "token_expired")) {
            assertThat(new SlackPermanentException("m", dead, null).isTokenDead()).as(dead).isTrue();
        }
        assertThat(new SlackPermanentException("m", "bad_redirect_uri", null).isInvalidGrant()).isFalse();
    }

    @Test
    void tokensNeverShowInToStrings() throws Exception {
        OAuthAccessJson json = access("""
                {"ok":true,"access_token":"xoxb-secret-bot","refresh_token":"%s","authed_user":{"id":"U1",
                 "access_token":"%s","refresh_token":"%s","expires_in":1}}""".formatted(REFRESH, ROTATING, REFRESH));
        OAuthGrant grant = SlackResponses.toGrant("oauth.v2.access", json);
        for (String text : List.of(json.toString(), json.authedUser().toString(), grant.toString(),
                grant.userToken().toString(), grant.bot().orElseThrow().toString())) {
            assertThat(text).doesNotContain("secret-bot").doesNotContain(ROTATING.substring(10))
                    .doesNotContain(REFRESH.substring(7));
        }
        assertThat(grant.userToken().accessToken().toString()).isEqualTo("xoxe.xoxp-…");
        assertThat(grant.userToken().refreshToken().orElseThrow().toString()).isEqualTo("xoxe-…");
        assertThat(ClientCredentials.confidential("1.2", "topsecret").toString()).doesNotContain("topsecret");
    }
}
