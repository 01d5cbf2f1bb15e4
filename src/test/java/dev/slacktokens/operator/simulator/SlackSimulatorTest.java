package dev.slacktokens.operator.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The simulator's Slack semantics (shared/slack-api.md), driven directly with a controllable clock. */
class SlackSimulatorTest {

    static final String CLIENT = "1111.2222";
    static final String SECRET = "sim-client-secret";
    static final String REDIRECT = "https://app.example.com/oauth/callback";

    MutableClock clock;
    SlackSimulator sim;

    @BeforeEach
    void setUp() {
        clock = new MutableClock(java.time.Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), java.time.ZoneOffset.UTC));
        sim = new SlackSimulator(clock,
                new SlackSimulator.App(CLIENT, SECRET, "A0SIM0001", true, false, List.of()),
                new SlackSimulator.Team("T0SIM0001", "Simulated Workspace", "simulated", null, null),
                new SlackSimulator.User("U0SIM0001", "T0SIM0001", "sim.user"), "sim-signing-secret",
                new SimulatorSettings(43200, 60, 600, null, null, Map.of()), 42);
    }

    // ------------------------------------------------------------ authorize

    @Test
    void authorizeRedirectsWithCodeAndEchoesState() {
        URI location = redirect(authorize("chat:write", null, REDIRECT, "st&te=1"));
        assertThat(location.toString()).startsWith(REDIRECT + "?code=");
        assertThat(query(location)).containsEntry("state", "st&te=1").containsKey("code");
    }

    @Test
    void deniedConsentRedirectsWithAccessDenied() {
        sim.queueConsent(new SlackSimulator.Consent("U0SIM0001", true, false, null));
        Map<String, String> q = query(redirect(authorize("chat:write", null, REDIRECT, "s1")));
        assertThat(q).containsEntry("error", "access_denied").containsEntry("state", "s1").doesNotContainKey("code");
        // a queued consent applies once; the next visitor consents again
        assertThat(query(redirect(authorize("chat:write", null, REDIRECT, "s2")))).containsKey("code");
    }

    @Test
    void authorizeErrorsAreShownOnSlacksOwnPage() {
        assertThat(errorPage(sim.authorize(Map.of("client_id", "9.9", "user_scope", "chat:write"))))
                .isEqualTo("invalid_client_id");
        assertThat(errorPage(authorize("chat:write", null, "http://evil.example.com/cb", "s")))
                .isEqualTo("bad_redirect_uri");
        assertThat(errorPage(authorize("Chat Write", null, REDIRECT, "s"))).isEqualTo("invalid_scope");
        assertThat(errorPage(authorize(null, null, REDIRECT, "s"))).isEqualTo("invalid_scope");
        sim.putApp(new SlackSimulator.App(CLIENT, SECRET, "A0SIM0001", true, false, List.of("https://ok.example.com/")));
        assertThat(errorPage(authorize("chat:write", null, REDIRECT, "s"))).isEqualTo("bad_redirect_uri");
        assertThat(redirect(authorize("chat:write", null, "https://ok.example.com/sub/cb", "s"))).isNotNull();
    }

    // ------------------------------------------------------------ code exchange and response shapes

    @Test
    void userOnlyRotatingShapeHasNoTopLevelToken() {
        Map<String, Object> body = exchange(code("chat:write,users:read", null), REDIRECT).body();
        assertThat(body).containsEntry("ok", true).containsEntry("app_id", "A0SIM0001")
                .containsEntry("is_enterprise_install", false).containsEntry("enterprise", null)
                .doesNotContainKeys("access_token", "token_type", "scope", "bot_user_id");
        assertThat(map(body, "team")).containsEntry("id", "T0SIM0001");
        Map<String, Object> user = map(body, "authed_user");
        assertThat(user).containsEntry("id", "U0SIM0001").containsEntry("scope", "chat:write,users:read")
                .containsEntry("token_type", "user").containsEntry("expires_in", 43200L);
        assertThat((String) user.get("access_token")).startsWith("xoxe.xoxp-1-");
        assertThat((String) user.get("refresh_token")).startsWith("xoxe-1-");
    }

    @Test
    void botPlusUserShapeHasBotTokenAtTopLevel() {
        Map<String, Object> body = exchange(code("chat:write", "channels:read"), REDIRECT).body();
        assertThat(body).containsEntry("token_type", "bot").containsEntry("scope", "channels:read")
                .containsKey("bot_user_id");
        assertThat((String) body.get("access_token")).startsWith("xoxe.xoxb-1-");
        assertThat((String) body.get("refresh_token")).startsWith("xoxe-1-");
        assertThat((String) map(body, "authed_user").get("access_token")).startsWith("xoxe.xoxp-1-");
    }

    @Test
    void orgInstallHasNullTeamAndAnEnterprise() {
        sim.putTeam(new SlackSimulator.Team("T0ORG0001", "Org Workspace", "orgws", "E0ORG0001", "Big Org"));
        sim.putUser(new SlackSimulator.User("W0ORG0001", "T0ORG0001", "org.user"));
        sim.queueConsent(new SlackSimulator.Consent("W0ORG0001", false, true, null));
        Map<String, Object> body = exchange(code("chat:write", null), REDIRECT).body();
        assertThat(body).containsEntry("team", null).containsEntry("is_enterprise_install", true);
        assertThat(map(body, "enterprise")).containsEntry("id", "E0ORG0001").containsEntry("name", "Big Org");
        assertThat(map(body, "authed_user")).containsEntry("id", "W0ORG0001");
    }

    @Test
    void nonRotatingAppIssuesLongLivedTokensWithoutExpiry() {
        sim.putApp(new SlackSimulator.App(CLIENT, SECRET, "A0SIM0001", false, false, List.of()));
        Map<String, Object> user = map(exchange(code("chat:write", null), REDIRECT).body(), "authed_user");
        assertThat((String) user.get("access_token")).startsWith("xoxp-");
        assertThat(user).doesNotContainKeys("refresh_token", "expires_in");
    }

    @Test
    void declinedOptionalScopesAreNotGranted() {
        sim.queueConsent(new SlackSimulator.Consent("U0SIM0001", false, false, List.of("users:read")));
        assertThat(map(exchange(code("chat:write,users:read", null), REDIRECT).body(), "authed_user"))
                .containsEntry("scope", "chat:write");
    }

    @Test
    void codesAreSingleUse() {
        String code = code("chat:write", null);
        assertThat(exchange(code, REDIRECT).body()).containsEntry("ok", true);
        assertThat(exchange(code, REDIRECT).error()).isEqualTo("invalid_code");
    }

    @Test
    void codesExpireAfterTenMinutes() {
        String fresh = code("chat:write", null);
        String stale = code("chat:write", null);
        clock.advance(Duration.ofMinutes(9).plusSeconds(59));
        assertThat(exchange(fresh, REDIRECT).body()).containsEntry("ok", true);
        clock.advance(Duration.ofSeconds(1));
        assertThat(exchange(stale, REDIRECT).error()).isEqualTo("invalid_code");
    }

    @Test
    void redirectUriMustBeSentIdentically() {
        String code = code("chat:write", null);
        assertThat(exchange(code, REDIRECT + "/other").error()).isEqualTo("bad_redirect_uri");
        assertThat(exchange(code, null).error()).isEqualTo("bad_redirect_uri");
    }

    @Test
    void clientCredentialsAreCheckedInBasicAuthAndInFormFields() {
        String code = code("chat:write", null);
        assertThat(sim.oauthAccess(form("code", code, "redirect_uri", REDIRECT), CLIENT, "wrong").error())
                .isEqualTo("bad_client_secret");
        assertThat(sim.oauthAccess(form("code", code, "redirect_uri", REDIRECT), "5.5", SECRET).error())
                .isEqualTo("invalid_client_id");
        assertThat(sim.oauthAccess(form("code", code, "redirect_uri", REDIRECT), null, null).error())
                .isEqualTo("invalid_client_id");
        // the form-field variant (what node-slack-sdk sends)
        assertThat(sim.oauthAccess(form("code", code, "redirect_uri", REDIRECT, "client_id", CLIENT, "client_secret",
                SECRET), null, null).body()).containsEntry("ok", true);
    }

    @Test
    void unknownGrantTypeIsRejected() {
        assertThat(sim.oauthAccess(form("grant_type", "password"), CLIENT, SECRET).error())
                .isEqualTo("invalid_grant_type");
    }

    // ------------------------------------------------------------ rotation

    @Test
    void refreshReturnsAFlatResponseWithANewPair() {
        Map<String, Object> user = map(exchange(code("chat:write", null), REDIRECT).body(), "authed_user");
        SimResponse refreshed = refresh((String) user.get("refresh_token"));
        Map<String, Object> body = refreshed.body();
        assertThat(body).containsEntry("ok", true).containsEntry("token_type", "user")
                .containsEntry("user_id", "U0SIM0001").containsEntry("expires_in", 43200L)
                .containsEntry("scope", "chat:write").doesNotContainKey("authed_user");
        assertThat(body.get("access_token")).isNotEqualTo(user.get("access_token"));
        assertThat(body.get("refresh_token")).isNotEqualTo(user.get("refresh_token"));
        assertThat(sim.counter("refreshes")).isEqualTo(1);
    }

    @Test
    void mintedGrantsForBenchmarksRotateAndAuthenticateLikeConsentedOnes() {
        var grants = sim.mintGrants(CLIENT, "T0SIM0001", "U0BENCH", 3, List.of("chat:write"));
        assertThat(grants).hasSize(3).extracting(g -> g.get("user_id")).containsExactly("U0BENCH000001",
                "U0BENCH000002", "U0BENCH000003");
        var grant = grants.get(1);
        assertThat(grant).containsEntry("team_id", "T0SIM0001").containsEntry("expires_in", 43200L)
                .containsEntry("issued_at", "2026-01-01T00:00:00Z");
        assertThat(sim.authTest((String) grant.get("access_token")).body()).containsEntry("ok", true)
                .containsEntry("user_id", "U0BENCH000002");
        assertThat(refresh((String) grant.get("refresh_token")).body()).containsEntry("ok", true)
                .containsEntry("user_id", "U0BENCH000002");
        assertThat(sim.counter("grants_minted")).isEqualTo(3);
    }

    @Test
    void usedRefreshTokenWorksDuringTheGracePeriodThenIsRejected() {
        String rt = refreshTokenOfNewGrant();
        SimResponse first = refresh(rt);
        clock.advance(Duration.ofSeconds(60));
        SimResponse second = refresh(rt);
        assertThat(second.body()).containsEntry("ok", true);
        // Slack mints a different pair for each use (node-slack-sdk#2504)
        assertThat(second.body().get("refresh_token")).isNotEqualTo(first.body().get("refresh_token"));
        assertThat(sim.counter("refresh_reuse_within_grace")).isEqualTo(1);
        clock.advance(Duration.ofSeconds(1));
        assertThat(refresh(rt).error()).isEqualTo("invalid_refresh_token");
        assertThat(sim.counter("refresh_reuse_after_grace")).isEqualTo(1);
    }

    @Test
    void returnSamePolicyRepeatsTheFirstPairInsideTheGracePeriod() {
        sim.updateSettings(new SimulatorSettings(43200, 60, 600, SimulatorSettings.ReusePolicy.RETURN_SAME, null,
                Map.of()));
        String rt = refreshTokenOfNewGrant();
        SimResponse first = refresh(rt);
        SimResponse second = refresh(rt);
        assertThat(second.body().get("refresh_token")).isEqualTo(first.body().get("refresh_token"));
        assertThat(second.body().get("access_token")).isEqualTo(first.body().get("access_token"));
    }

    @Test
    void invalidateEarlierPolicyKillsThePairThePreviousUseMinted() {
        sim.updateSettings(new SimulatorSettings(43200, 60, 600, SimulatorSettings.ReusePolicy.INVALIDATE_EARLIER,
                null, Map.of()));
        String rt = refreshTokenOfNewGrant();
        Map<String, Object> first = refresh(rt).body();
        Map<String, Object> second = refresh(rt).body();
        assertThat(second).containsEntry("ok", true);
        assertThat(second.get("refresh_token")).isNotEqualTo(first.get("refresh_token"));
        assertThat(sim.authTest((String) first.get("access_token")).error()).isEqualTo("token_revoked");
        assertThat(refresh((String) first.get("refresh_token")).error()).isEqualTo("invalid_refresh_token");
        assertThat(sim.authTest((String) second.get("access_token")).body()).containsEntry("ok", true);
        assertThat(refresh((String) second.get("refresh_token")).body()).containsEntry("ok", true);
        // a third use kills the second pair in turn
        Map<String, Object> third = refresh(rt).body();
        assertThat(sim.authTest((String) second.get("access_token")).error()).isEqualTo("token_revoked");
        assertThat(sim.authTest((String) third.get("access_token")).body()).containsEntry("ok", true);
    }

    @Test
    void faultsCanTargetBotOrUserTokensOnly() {
        Map<String, Object> grant = exchange(code("chat:write", "channels:read"), REDIRECT).body();
        String userRt = (String) map(grant, "authed_user").get("refresh_token");
        String botRt = (String) grant.get("refresh_token");
        sim.addFault(new FaultRule("oauth.v2.access", null, 503, 0, 1.0, -1, 0, "bot"));
        assertThat(sim.beforeCall("oauth.v2.access", botRt).answer().status()).isEqualTo(503);
        assertThat(sim.beforeCall("oauth.v2.access", userRt).answer()).isNull();
        assertThat(sim.beforeCall("oauth.v2.access", null).answer()).as("a code exchange").isNull();
        assertThatThrownBy(() -> new FaultRule("auth.test", "internal_error", 0, 0, 1, -1, 0, "app"))
                .hasMessageContaining("user or bot");
    }

    @Test
    void unknownOrForeignRefreshTokenIsInvalid() {
        assertThat(refresh("xoxe-1-nope").error()).isEqualTo("invalid_refresh_token");
        sim.putApp(new SlackSimulator.App("3333.4444", "other", "A0OTHER01", true, false, List.of()));
        String rt = refreshTokenOfNewGrant();
        assertThat(sim.oauthAccess(form("grant_type", "refresh_token", "refresh_token", rt), "3333.4444", "other")
                .error()).isEqualTo("invalid_refresh_token");
    }

    @Test
    void accessTokensExpireAfterTheirLifetime() {
        sim.updateSettings(new SimulatorSettings(30, 60, 600, null, null, Map.of()));
        Map<String, Object> user = map(exchange(code("chat:write", null), REDIRECT).body(), "authed_user");
        String access = (String) user.get("access_token");
        assertThat(user).containsEntry("expires_in", 30L);
        clock.advance(Duration.ofSeconds(29));
        assertThat(sim.authTest(access).body()).containsEntry("ok", true).containsEntry("user_id", "U0SIM0001");
        clock.advance(Duration.ofSeconds(1));
        assertThat(sim.authTest(access).error()).isEqualTo("token_expired");
    }

    @Test
    void atMostTwoLiveAccessTokensPerUser() {
        Map<String, Object> user = map(exchange(code("chat:write", null), REDIRECT).body(), "authed_user");
        String a0 = (String) user.get("access_token");
        clock.advance(Duration.ofSeconds(1));
        SimResponse r1 = refresh((String) user.get("refresh_token"));
        String a1 = (String) r1.body().get("access_token");
        // the old access token is not invalidated by the refresh itself
        assertThat(sim.authTest(a0).body()).containsEntry("ok", true);
        clock.advance(Duration.ofSeconds(1));
        SimResponse r2 = refresh((String) r1.body().get("refresh_token"));
        assertThat(sim.authTest(a0).error()).isEqualTo("token_revoked");
        assertThat(sim.authTest(a1).body()).containsEntry("ok", true);
        assertThat(sim.authTest((String) r2.body().get("access_token")).body()).containsEntry("ok", true);
        assertThat(map(sim.stats(), "live_user_access_tokens")).containsEntry("U0SIM0001", 2L);
    }

    @Test
    void theLiveLimitRevokesTheOldestTokenEvenWhenAllWereIssuedInTheSameSecond() {
        // The clock does not move: the order of issue alone decides which token is the oldest.
        String rt = refreshTokenOfNewGrant();
        String previous = null;
        for (int i = 0; i < 20; i++) {
            Map<String, Object> pair = refresh(rt).body();
            String access = (String) pair.get("access_token");
            assertThat(sim.authTest(access).body()).as("the newest access token, refresh %d", i)
                    .containsEntry("ok", true);
            if (previous != null) {
                assertThat(sim.authTest(previous).body()).as("the one before it, refresh %d", i)
                        .containsEntry("ok", true);
            }
            previous = access;
            rt = (String) pair.get("refresh_token");
        }
    }

    // ------------------------------------------------------------ Web API auth errors, revoke, postMessage

    @Test
    void webApiTokenErrors() {
        assertThat(sim.authTest(null).error()).isEqualTo("not_authed");
        assertThat(sim.authTest("xoxp-unknown").error()).isEqualTo("invalid_auth");
        String rt = refreshTokenOfNewGrant();
        assertThat(sim.authTest(rt).error()).as("a refresh token is not an API token").isEqualTo("invalid_auth");
    }

    @Test
    void authRevokeRevokesOneTokenAndHonoursTestMode() {
        Map<String, Object> user = map(exchange(code("chat:write", null), REDIRECT).body(), "authed_user");
        String access = (String) user.get("access_token");
        assertThat(sim.authRevoke(access, true).body()).containsEntry("revoked", false);
        assertThat(sim.authTest(access).body()).containsEntry("ok", true);
        assertThat(sim.authRevoke(access, false).body()).containsEntry("revoked", true);
        assertThat(sim.authTest(access).error()).isEqualTo("token_revoked");
        assertThat(sim.authRevoke(access, false).error()).isEqualTo("token_revoked");
        // the refresh token is separate and can be revoked on its own
        String rt = (String) user.get("refresh_token");
        assertThat(sim.authRevoke(rt, false).body()).containsEntry("revoked", true);
        assertThat(refresh(rt).error()).isEqualTo("invalid_refresh_token");
    }

    @Test
    void revokingAUserKillsAllTheirTokens() {
        Map<String, Object> user = map(exchange(code("chat:write", null), REDIRECT).body(), "authed_user");
        assertThat(sim.revokeUserTokens("U0SIM0001")).isEqualTo(1);
        assertThat(sim.authTest((String) user.get("access_token")).error()).isEqualTo("token_revoked");
        assertThat(refresh((String) user.get("refresh_token")).error()).isEqualTo("invalid_refresh_token");
    }

    @Test
    void postMessageNeedsChatWriteAndAChannel() {
        String withScope = (String) map(exchange(code("chat:write", null), REDIRECT).body(), "authed_user")
                .get("access_token");
        SimResponse posted = sim.postMessage(withScope, "C0SIM0001", "hello");
        assertThat(posted.body()).containsEntry("ok", true).containsEntry("channel", "C0SIM0001");
        assertThat(sim.messages()).singleElement().satisfies(m -> assertThat(m).containsEntry("text", "hello")
                .containsEntry("user", "U0SIM0001"));
        assertThat(sim.postMessage(withScope, "", "hello").error()).isEqualTo("channel_not_found");
        String readOnly = (String) map(exchange(code("users:read", null), REDIRECT).body(), "authed_user")
                .get("access_token");
        SimResponse missing = sim.postMessage(readOnly, "C0SIM0001", "hello");
        assertThat(missing.body()).containsEntry("error", "missing_scope").containsEntry("needed", "chat:write")
                .containsEntry("provided", "users:read");
    }

    // ------------------------------------------------------------ oauth.v2.exchange

    @Test
    void exchangeConvertsALegacyTokenOnceAndTheLegacyTokenDiesAtTheFirstRefresh() {
        String legacy = sim.issueLegacyUserToken(CLIENT, "U0SIM0001", List.of("chat:write"));
        SimResponse exchanged = sim.oauthExchange(form("client_id", CLIENT, "client_secret", SECRET, "token", legacy),
                null, null);
        assertThat(exchanged.body()).containsEntry("ok", true).containsEntry("token_type", "user")
                .containsEntry("user_id", "U0SIM0001").containsEntry("expires_in", 43200L);
        assertThat((String) exchanged.body().get("access_token")).startsWith("xoxe.xoxp-1-");
        assertThat(sim.oauthExchange(form("client_id", CLIENT, "client_secret", SECRET, "token", legacy), null, null)
                .error()).isEqualTo("token_already_exchanged");
        assertThat(sim.authTest(legacy).body()).as("legacy token works until the first refresh")
                .containsEntry("ok", true);
        refresh((String) exchanged.body().get("refresh_token"));
        assertThat(sim.authTest(legacy).error()).isEqualTo("token_revoked");
    }

    @Test
    void exchangeErrors() {
        assertThat(sim.oauthExchange(form("client_id", CLIENT, "client_secret", SECRET, "token", "xoxp-nope"), null,
                null).error()).isEqualTo("invalid_token");
        assertThat(sim.oauthExchange(form("client_id", CLIENT, "client_secret", "bad", "token", "x"), null, null)
                .error()).isEqualTo("bad_client_secret");
        String legacy = sim.issueLegacyUserToken(CLIENT, "U0SIM0001", List.of("chat:write"));
        sim.putApp(new SlackSimulator.App(CLIENT, SECRET, "A0SIM0001", false, false, List.of()));
        assertThat(sim.oauthExchange(form("token", legacy), CLIENT, SECRET).error())
                .isEqualTo("token_rotation_not_enabled");
    }

    // ------------------------------------------------------------ PKCE

    @Test
    void pkceChallengeIsVerifiedWithS256() {
        assertThat(SlackSimulator.s256("secretpassword")).isEqualTo("ldMBaaWcQYtSATMV_IG8mf3wp7A6EW80arYoSW80ntU");
        sim.putApp(new SlackSimulator.App(CLIENT, SECRET, "A0SIM0001", true, true, List.of()));
        String code = codeWith(Map.of("code_challenge", SlackSimulator.s256("secretpassword"),
                "code_challenge_method", "S256"));
        assertThat(sim.oauthAccess(form("code", code, "redirect_uri", REDIRECT, "client_id", CLIENT, "code_verifier",
                "wrong"), null, null).error()).isEqualTo("invalid_code_verifier");
        SimResponse ok = sim.oauthAccess(form("code", code, "redirect_uri", REDIRECT, "client_id", CLIENT,
                "code_verifier", "secretpassword"), null, null);
        assertThat(ok.body()).containsEntry("ok", true);
        String rt = (String) map(ok.body(), "authed_user").get("refresh_token");
        // public client: refresh with client_id only; refresh tokens die after 30 days
        assertThat(sim.oauthAccess(form("grant_type", "refresh_token", "refresh_token", rt, "client_id", CLIENT), null,
                null).body()).containsEntry("ok", true);
        String rt2 = refreshTokenOfNewGrantPkce();
        clock.advance(Duration.ofDays(30));
        assertThat(sim.oauthAccess(form("grant_type", "refresh_token", "refresh_token", rt2, "client_id", CLIENT),
                null, null).error()).isEqualTo("invalid_refresh_token");
    }

    @Test
    void pkceVerifierForANonPkceAppIsRefused() {
        String code = code("chat:write", null);
        assertThat(sim.oauthAccess(form("code", code, "redirect_uri", REDIRECT, "client_id", CLIENT, "code_verifier",
                "secretpassword"), null, null).error()).isEqualTo("pkce_not_allowed");
    }

    // ------------------------------------------------------------ faults and rate limits

    @Test
    void rateLimitAnswers429WithRetryAfterUntilTheWindowMoves() {
        sim.updateSettings(new SimulatorSettings(43200, 60, 600, null, null, Map.of("auth.test", 2)));
        assertThat(sim.beforeCall("auth.test").answer()).isNull();
        clock.advance(Duration.ofSeconds(20));
        assertThat(sim.beforeCall("auth.test").answer()).isNull();
        SimResponse limited = sim.beforeCall("auth.test").answer();
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.headers()).containsEntry("Retry-After", "40");
        assertThat(limited.error()).isEqualTo("ratelimited");
        clock.advance(Duration.ofSeconds(40));
        assertThat(sim.beforeCall("auth.test").answer()).isNull();
    }

    @Test
    void faultsFireByCountAndProbability() {
        sim.addFault(new FaultRule("oauth.v2.access", "internal_error", 0, 0, 1.0, 2, 0));
        assertThat(sim.beforeCall("oauth.v2.access").answer().error()).isEqualTo("internal_error");
        assertThat(sim.beforeCall("auth.test").answer()).isNull();
        assertThat(sim.beforeCall("oauth.v2.access").answer().error()).isEqualTo("internal_error");
        assertThat(sim.beforeCall("oauth.v2.access").answer()).as("count exhausted").isNull();

        sim.clearFaults();
        sim.addFault(new FaultRule("*", null, 503, 0, 0.2, -1, 0));
        int fired = 0;
        for (int i = 0; i < 1000; i++) {
            SimResponse answer = sim.beforeCall("auth.test").answer();
            if (answer != null) {
                assertThat(answer.status()).isEqualTo(503);
                fired++;
            }
        }
        assertThat(fired).isBetween(150, 250);

        sim.clearFaults();
        sim.addFault(new FaultRule("auth.test", null, 429, 7, 1.0, 1, 250));
        SlackSimulator.FaultDecision decision = sim.beforeCall("auth.test");
        assertThat(decision.latencyMillis()).isEqualTo(250);
        assertThat(decision.answer().headers()).containsEntry("Retry-After", "7");
    }

    @Test
    void faultRulesAreValidated() {
        assertThatThrownBy(() -> new FaultRule("auth.test", null, 404, 0, 1, -1, 0))
                .hasMessageContaining("429 or 5xx");
        assertThatThrownBy(() -> new FaultRule("auth.test", null, 0, 0, 1, -1, 0))
                .hasMessageContaining("needs an error");
    }

    @Test
    void resetRestoresTheStartingState() {
        refreshTokenOfNewGrant();
        sim.addFault(new FaultRule("*", "internal_error", 0, 0, 1, -1, 0));
        sim.reset();
        assertThat(sim.faults()).isEmpty();
        assertThat(sim.counter("codes_issued")).isZero();
        assertThat(map(sim.stats(), "live_user_access_tokens")).isEmpty();
    }

    // ------------------------------------------------------------ helpers

    private SlackSimulator.AuthorizeResult authorize(String userScope, String botScope, String redirect,
            String state) {
        Map<String, String> p = new HashMap<>();
        p.put("client_id", CLIENT);
        if (userScope != null) {
            p.put("user_scope", userScope);
        }
        if (botScope != null) {
            p.put("scope", botScope);
        }
        p.put("redirect_uri", redirect);
        p.put("state", state);
        return sim.authorize(p);
    }

    private String code(String userScope, String botScope) {
        return query(redirect(authorize(userScope, botScope, REDIRECT, "s"))).get("code");
    }

    private String codeWith(Map<String, String> extra) {
        Map<String, String> p = new HashMap<>(Map.of("client_id", CLIENT, "user_scope", "chat:write", "redirect_uri",
                REDIRECT, "state", "s"));
        p.putAll(extra);
        return query(redirect(sim.authorize(p))).get("code");
    }

    private SimResponse exchange(String code, String redirect) {
        Map<String, String> f = new HashMap<>();
        f.put("code", code);
        if (redirect != null) {
            f.put("redirect_uri", redirect);
        }
        return sim.oauthAccess(f, CLIENT, SECRET);
    }

    private SimResponse refresh(String refreshToken) {
        return sim.oauthAccess(form("grant_type", "refresh_token", "refresh_token", refreshToken), CLIENT, SECRET);
    }

    private String refreshTokenOfNewGrant() {
        return (String) map(exchange(code("chat:write", null), REDIRECT).body(), "authed_user").get("refresh_token");
    }

    private String refreshTokenOfNewGrantPkce() {
        String code = codeWith(Map.of("code_challenge", SlackSimulator.s256("v2"), "code_challenge_method", "S256"));
        return (String) map(sim.oauthAccess(form("code", code, "redirect_uri", REDIRECT, "client_id", CLIENT,
                "code_verifier", "v2"), null, null).body(), "authed_user").get("refresh_token");
    }

    private static Map<String, String> form(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> body, String key) {
        return (Map<String, Object>) body.get(key);
    }

    private static URI redirect(SlackSimulator.AuthorizeResult result) {
        assertThat(result).isInstanceOf(SlackSimulator.AuthorizeResult.Redirect.class);
        return ((SlackSimulator.AuthorizeResult.Redirect) result).location();
    }

    private static String errorPage(SlackSimulator.AuthorizeResult result) {
        assertThat(result).isInstanceOf(SlackSimulator.AuthorizeResult.ErrorPage.class);
        return ((SlackSimulator.AuthorizeResult.ErrorPage) result).error();
    }

    static Map<String, String> query(URI uri) {
        Map<String, String> q = new HashMap<>();
        for (String part : uri.getRawQuery().split("&")) {
            int eq = part.indexOf('=');
            q.put(part.substring(0, eq), java.net.URLDecoder.decode(part.substring(eq + 1),
                    java.nio.charset.StandardCharsets.UTF_8));
        }
        return q;
    }
}
