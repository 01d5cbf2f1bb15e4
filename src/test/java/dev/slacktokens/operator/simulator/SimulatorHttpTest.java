package dev.slacktokens.operator.simulator;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.slacktokens.operator.slack.AuthIdentity;
import dev.slacktokens.operator.slack.ClientCredentials;
import dev.slacktokens.operator.slack.OAuthGrant;
import dev.slacktokens.operator.slack.RefreshedToken;
import dev.slacktokens.operator.slack.SlackClient;
import dev.slacktokens.operator.slack.SlackPermanentException;
import dev.slacktokens.operator.slack.SlackRateLimitedException;
import dev.slacktokens.operator.slack.SlackToken;
import dev.slacktokens.operator.slack.SlackTransientException;
import dev.slacktokens.operator.testing.EventReceiver;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/**
 * The simulator over HTTP, driven by the operator's own Slack client, exactly as the operator will use it: pointing
 * the base URL at the simulator is the only change.
 */
@QuarkusTest
class SimulatorHttpTest {

    static final ClientCredentials APP = ClientCredentials.confidential("1111.2222", "sim-client-secret");
    static final String REDIRECT = "http://localhost:8080/oauth/callback";

    @TestHTTPResource("/")
    URL root;

    SlackClient slack;

    @BeforeEach
    void setUp() {
        given().post("/_sim/reset").then().statusCode(200);
        slack = SlackClient.create(URI.create(root.toString()), Duration.ofSeconds(2), Duration.ofSeconds(5));
    }

    @Test
    void authorizeCodeTokensRefreshAndReuseAfterGrace() {
        String code = authorize("chat:write,users:read", "");
        OAuthGrant grant = slack.exchangeCode(APP, code, REDIRECT, Optional.empty());
        assertThat(grant.userId()).isEqualTo("U0SIM0001");
        assertThat(grant.team()).hasValueSatisfying(t -> assertThat(t.id()).isEqualTo("T0SIM0001"));
        assertThat(grant.userToken().rotating()).isTrue();
        assertThat(grant.userToken().expiresIn()).contains(Duration.ofHours(12));

        AuthIdentity identity = slack.authTest(grant.userToken().accessToken());
        assertThat(identity.userId()).isEqualTo("U0SIM0001");
        assertThat(identity.teamName()).contains("Simulated Workspace");

        SlackToken refreshToken = grant.userToken().refreshToken().orElseThrow();
        RefreshedToken first = slack.refresh(APP, refreshToken, permit(slack));
        assertThat(first.userId()).contains("U0SIM0001");
        assertThat(slack.authTest(first.token().accessToken()).userId()).isEqualTo("U0SIM0001");

        // inside the grace period the used refresh token still works, and mints yet another pair
        RefreshedToken again = slack.refresh(APP, refreshToken, permit(slack));
        assertThat(again.refreshToken()).isNotEqualTo(first.refreshToken());

        given().contentType(ContentType.JSON).body(Map.of("advanceSeconds", 61)).post("/_sim/clock").then()
                .statusCode(200);
        var rejected = catchThrowableOfType(SlackPermanentException.class,
                () -> slack.refresh(APP, refreshToken, permit(slack)));
        assertThat(rejected.error()).isEqualTo("invalid_refresh_token");
        assertThat(rejected.isInvalidGrant()).isTrue();

        given().get("/_sim/stats").then().statusCode(200)
                .body("codes_issued", equalTo(1)).body("codes_exchanged", equalTo(1))
                .body("refreshes", equalTo(2)).body("refresh_reuse_within_grace", equalTo(1))
                .body("refresh_reuse_after_grace", equalTo(1))
                .body("live_user_access_tokens.U0SIM0001", equalTo(2));
    }

    @Test
    void authorizeErrorIsAnHtmlPageNotARedirect() {
        given().redirects().follow(false).queryParam("client_id", "9.9").queryParam("user_scope", "chat:write")
                .get("/oauth/v2/authorize").then().statusCode(400).contentType(ContentType.HTML)
                .body(containsString("invalid_client_id"));
    }

    @Test
    void denialRedirectsWithAccessDenied() {
        given().contentType(ContentType.JSON).body(Map.of("userId", "U0SIM0001", "deny", true)).post("/_sim/consent")
                .then().statusCode(200);
        given().redirects().follow(false).queryParam("client_id", "1111.2222").queryParam("user_scope", "chat:write")
                .queryParam("redirect_uri", REDIRECT).queryParam("state", "xyz").get("/oauth/v2/authorize").then()
                .statusCode(302).header("Location", equalTo(REDIRECT + "?error=access_denied&state=xyz"));
    }

    @Test
    void formFieldCredentialsAndJsonBodiesAreAcceptedToo() {
        String code = authorize("chat:write", "");
        given().contentType(ContentType.JSON).body(Map.of("client_id", "1111.2222", "client_secret",
                "sim-client-secret", "code", code, "redirect_uri", REDIRECT)).post("/api/oauth.v2.access").then()
                .statusCode(200).body("ok", equalTo(true))
                .body("authed_user.access_token", startsWith("xoxe.xoxp-1-"));
    }

    @Test
    void botAndUserShapeThroughTheClient() {
        OAuthGrant grant = slack.exchangeCode(APP, authorize("chat:write", "channels:read"), REDIRECT,
                Optional.empty());
        assertThat(grant.bot()).hasValueSatisfying(bot -> {
            assertThat(bot.token().accessToken().reveal()).startsWith("xoxe.xoxb-1-");
            assertThat(bot.token().scopes()).containsExactly("channels:read");
        });
        assertThat(grant.userToken().scopes()).containsExactly("chat:write");
    }

    /**
     * An outcome the caller cannot see ({@code afterAction}): the refresh rotates the pair at Slack, and the caller
     * gets a 503, or the answer only after its read timeout. Reusing the refresh token is then a reuse inside the grace.
     */
    @Test
    void aFaultAfterTheActionRotatesThePairAndHidesTheAnswer() {
        SlackToken refreshToken = slack.exchangeCode(APP, authorize("chat:write", ""), REDIRECT, Optional.empty())
                .userToken().refreshToken().orElseThrow();
        given().contentType(ContentType.JSON).body(Map.of("method", "oauth.v2.access", "httpStatus", 503, "count", 1,
                "afterAction", true)).post("/_sim/faults").then().statusCode(200);
        var hidden = catchThrowableOfType(SlackTransientException.class,
                () -> slack.refresh(APP, refreshToken, permit(slack)));
        assertThat(hidden.error()).isEqualTo("http_503");
        given().contentType(ContentType.JSON).body(Map.of("method", "oauth.v2.access", "latencyMillis", 6_000,
                "count", 1, "afterAction", true)).post("/_sim/faults").then().statusCode(200);
        var late = catchThrowableOfType(SlackTransientException.class,
                () -> slack.refresh(APP, refreshToken, permit(slack)));
        assertThat(late.error()).as("read timeout 5 s").isEqualTo("timeout");
        RefreshedToken recovered = slack.refresh(APP, refreshToken, permit(slack));
        assertThat(slack.authTest(recovered.token().accessToken()).userId()).isEqualTo("U0SIM0001");
        given().get("/_sim/stats").then().statusCode(200).body("refreshes", equalTo(3))
                .body("refresh_reuse_within_grace", equalTo(2)).body("faults_after_action", equalTo(2));
    }

    @Test
    void injectedFaultsReachTheClientTyped() {
        given().contentType(ContentType.JSON).body(Map.of("method", "auth.test", "httpStatus", 429,
                "retryAfterSeconds", 9, "count", 1)).post("/_sim/faults").then().statusCode(200);
        given().contentType(ContentType.JSON).body(Map.of("method", "auth.test", "error", "internal_error",
                "count", 1)).post("/_sim/faults").then().statusCode(200);
        SlackToken token = slack.exchangeCode(APP, authorize("chat:write", ""), REDIRECT, Optional.empty())
                .userToken().accessToken();
        var limited = catchThrowableOfType(SlackRateLimitedException.class, () -> slack.authTest(token));
        assertThat(limited.retryAfter()).isEqualTo(Duration.ofSeconds(9));
        var failed = catchThrowableOfType(SlackTransientException.class, () -> slack.authTest(token));
        assertThat(failed.error()).isEqualTo("internal_error");
        assertThat(slack.authTest(token).userId()).isEqualTo("U0SIM0001");

        given().contentType(ContentType.JSON).body(Map.of("method", "auth.test", "httpStatus", 404)).post(
                "/_sim/faults").then().statusCode(400);
    }

    @Test
    void revokedUserIsFoundAtTheNextCall() {
        OAuthGrant grant = slack.exchangeCode(APP, authorize("chat:write", ""), REDIRECT, Optional.empty());
        given().post("/_sim/users/U0SIM0001/revoke").then().statusCode(200).body("revoked", equalTo(1));
        var e = catchThrowableOfType(SlackPermanentException.class,
                () -> slack.authTest(grant.userToken().accessToken()));
        assertThat(e.isTokenDead()).isTrue();
        assertThat(slack.revoke(grant.userToken().accessToken())).as("revoking twice is fine").isFalse();
    }

    @Test
    void legacyTokenExchangeThroughTheClient() {
        String legacy = given().contentType(ContentType.JSON).body(Map.of("userId", "U0SIM0001")).post(
                "/_sim/legacy-tokens").then().statusCode(200).extract().path("token");
        RefreshedToken pair = slack.exchangeLegacyToken(APP, SlackToken.of(legacy));
        assertThat(pair.token().rotating()).isTrue();
        var again = catchThrowableOfType(SlackPermanentException.class,
                () -> slack.exchangeLegacyToken(APP, SlackToken.of(legacy)));
        assertThat(again.error()).isEqualTo("token_already_exchanged");
    }

    @Test
    void workloadsCanPostWithTheirToken() {
        String token = slack.exchangeCode(APP, authorize("chat:write", ""), REDIRECT, Optional.empty()).userToken()
                .accessToken().reveal();
        given().header("Authorization", "Bearer " + token).formParam("channel", "C0SIM0001")
                .formParam("text", "hi from a pod").post("/api/chat.postMessage").then().statusCode(200)
                .body("ok", equalTo(true)).body("message.user", equalTo("U0SIM0001"));
        given().get("/_sim/messages").then().body("[0].text", equalTo("hi from a pod"));
    }

    @Test
    void shortLifetimesAndGraceAreSettableAtRunTime() {
        given().contentType(ContentType.JSON).body(Map.of("tokenLifetimeSeconds", 30, "refreshGraceSeconds", 5))
                .put("/_sim/settings").then().statusCode(200).body("tokenLifetimeSeconds", equalTo(30));
        OAuthGrant grant = slack.exchangeCode(APP, authorize("chat:write", ""), REDIRECT, Optional.empty());
        assertThat(grant.userToken().expiresIn()).contains(Duration.ofSeconds(30));
        given().contentType(ContentType.JSON).body(Map.of("tokenLifetimeSeconds", 1)).put("/_sim/settings").then()
                .statusCode(400);
    }

    @Test
    void tokensRevokedEventIsDeliveredSignedAndRevokes() throws Exception {
        EventReceiver.DELIVERIES.clear();
        OAuthGrant grant = slack.exchangeCode(APP, authorize("chat:write", ""), REDIRECT, Optional.empty());
        given().contentType(ContentType.JSON).body(Map.of("teamId", "T0SIM0001", "userIds", List.of("U0SIM0001"),
                "url", root + "test-events")).post("/_sim/events/tokens-revoked").then().statusCode(200)
                .body("status", equalTo(200));

        assertThat(EventReceiver.DELIVERIES).hasSize(1);
        EventReceiver.Delivery delivery = EventReceiver.DELIVERIES.get(0);
        assertThat(delivery.signature()).isEqualTo(hmac("sim-signing-secret", delivery.timestamp(), delivery.body()));
        @SuppressWarnings("unchecked")
        Map<String, Object> event = new ObjectMapper().readValue(delivery.body(), Map.class);
        assertThat(event.get("type")).isEqualTo("event_callback");
        assertThat(event.get("team_id")).isEqualTo("T0SIM0001");
        assertThat(SlackSimulatorTest.map(event, "event")).containsEntry("type", "tokens_revoked")
                .containsEntry("tokens", Map.of("oauth", List.of("U0SIM0001"), "bot", List.of()));
        var e = catchThrowableOfType(SlackPermanentException.class,
                () -> slack.authTest(grant.userToken().accessToken()));
        assertThat(e.error()).isEqualTo("token_revoked");
    }

    @Test
    void appUninstalledEventCanBeSentStaleOrMisSignedForNegativeTests() throws Exception {
        EventReceiver.DELIVERIES.clear();
        given().contentType(ContentType.JSON).body(Map.of("teamId", "T0SIM0001", "url", root + "test-events",
                "timestampSkewSeconds", -600, "signingSecret", "forged")).post("/_sim/events/app-uninstalled").then()
                .statusCode(200);
        EventReceiver.Delivery delivery = EventReceiver.DELIVERIES.get(0);
        assertThat(Long.parseLong(delivery.timestamp())).isLessThan(System.currentTimeMillis() / 1000 - 500);
        assertThat(delivery.signature()).isNotEqualTo(hmac("sim-signing-secret", delivery.timestamp(),
                delivery.body()));
        assertThat(delivery.body()).contains("\"app_uninstalled\"");
    }

    private String authorize(String userScope, String botScope) {
        String location = given().redirects().follow(false).queryParam("client_id", "1111.2222")
                .queryParam("user_scope", userScope).queryParam("scope", botScope)
                .queryParam("redirect_uri", REDIRECT).queryParam("state", "s").get("/oauth/v2/authorize").then()
                .statusCode(302).extract().header("Location");
        return SlackSimulatorTest.query(URI.create(location)).get("code");
    }

    private static String hmac(String secret, String timestamp, String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        StringBuilder hex = new StringBuilder("v0=");
        for (byte b : mac.doFinal(("v0:" + timestamp + ":" + body).getBytes(StandardCharsets.UTF_8))) {
            hex.append(String.format("%02x", b));
        }
        return hex.toString();
    }

    /** A permit of the client's own limit (the operator takes it before writing its journal). */
    private static dev.slacktokens.operator.slack.SlackRateLimiter.Permit permit(
            dev.slacktokens.operator.slack.SlackClient client) {
        return (dev.slacktokens.operator.slack.SlackRateLimiter.Permit) client.tryAcquireRefreshPermit();
    }
}
