package dev.slacktokens.operator.events;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.simulator.SlackRequestSigner;
import dev.slacktokens.operator.testing.Browser;
import dev.slacktokens.operator.testing.OperatorProfile;
import dev.slacktokens.operator.testing.OperatorTestBase;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;

/** Slack's revocation events, delivered by the simulator signed as Slack signs them, and the metrics. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@TestProfile(OperatorProfile.class)
class EventsTest extends OperatorTestBase {

    static final String EVENTS = OperatorProfile.BASE + "/slack/events";

    SlackUserConnection authorized(String name) {
        SlackUserConnection c = create(name, spec("chat:write"));
        assertThat(new Browser().authorize(awaitAuthorizeUrl(c)).statusCode()).isEqualTo(200);
        awaitReady(c, true, "Authorized");
        return c;
    }

    int deliver(String event, Map<String, Object> body) {
        return given().baseUri(OperatorProfile.BASE).contentType("application/json").body(body)
                .post("/_sim/events/" + event).then().statusCode(200).extract().path("status");
    }

    @Test
    void tokensRevokedEventDropsTheTokensAtOnce() {
        SlackUserConnection c = authorized("ev-revoked");
        assertThat(deliver("tokens-revoked", Map.of("teamId", "T0SIM0001", "userIds", List.of("U0SIM0001"), "url",
                EVENTS))).isEqualTo(200);
        SlackUserConnection dead = awaitReady(c, false, "ReauthorizationRequired");
        assertThat(readyMessage(dead)).contains("tokens_revoked");
        assertThat(dead.getStatus().getAuthorizeUrl()).isNotNull();
        assertThat(decode(client.secrets().inNamespace(ns).withName("ev-revoked").get()))
                .doesNotContainKey("access_token");
    }

    /** Defect: tokens.bot was ignored, so a revoked bot token stayed in the workload Secret. */
    @Test
    void aRevokedBotTokenDropsOnlyTheBotPair() {
        var spec = spec("chat:write");
        spec.setBotScopes(List.of("channels:read"));
        SlackUserConnection c = create("ev-bot", spec);
        assertThat(new Browser().authorize(awaitAuthorizeUrl(c)).statusCode()).isEqualTo(200);
        awaitReady(c, true, "Authorized");
        String botUser = awaitStore(c).get("bot_user_id");
        assertThat(deliver("tokens-revoked", Map.of("teamId", "T0SIM0001", "userIds", List.of(), "botUserIds",
                List.of(botUser), "url", EVENTS))).isEqualTo(200);
        org.awaitility.Awaitility.await().atMost(WAIT).until(() -> !awaitStore(c).containsKey("bot_access_token"));
        assertThat(awaitStore(c)).containsKeys("access_token", "refresh_token").doesNotContainKey("bot_refresh_token");
        org.awaitility.Awaitility.await().atMost(WAIT).until(() -> !decode(client.secrets().inNamespace(ns)
                .withName("ev-bot").get()).containsKey("bot_access_token"));
        assertReady(c, true, "Authorized");
    }

    /** Defect: the envelope's enterprise_id was ignored, so an organization-wide install never matched. */
    @Test
    void anOrganizationWideInstallIsMatchedByTheEnvelopesEnterprise() {
        sim("/_sim/teams", Map.of("id", "T0ORG0002", "name", "Org Workspace", "domain", "orgws2", "enterpriseId",
                "E0ORG0002", "enterpriseName", "Big Org"));
        sim("/_sim/users", Map.of("id", "W0ORG0002", "teamId", "T0ORG0002", "name", "org.user"));
        sim("/_sim/consent", Map.of("userId", "W0ORG0002", "enterpriseInstall", true));
        SlackUserConnection c = authorized("ev-org");
        assertThat(awaitStore(c)).doesNotContainKey("team_id").containsEntry("enterprise_id", "E0ORG0002");
        assertThat(deliver("tokens-revoked", Map.of("teamId", "T0ORG0002", "userIds", List.of("W0ORG0002"), "url",
                EVENTS))).isEqualTo(200);
        assertThat(readyMessage(awaitReady(c, false, "ReauthorizationRequired"))).contains("tokens_revoked");
    }

    @Test
    void appUninstalledEventMarksTheConnectionRevoked() {
        SlackUserConnection c = authorized("ev-uninstalled");
        assertThat(deliver("app-uninstalled", Map.of("teamId", "T0SIM0001", "url", EVENTS))).isEqualTo(200);
        assertThat(readyMessage(awaitReady(c, false, "Revoked"))).contains("uninstalled");
    }

    @Test
    void forgedOrStaleEventsAreRefusedAndChangeNothing() {
        SlackUserConnection c = authorized("ev-forged");
        assertThat(deliver("tokens-revoked", Map.of("teamId", "T0SIM0001", "userIds", List.of("U0SIM0001"), "url",
                EVENTS, "revoke", false, "signingSecret", "not-the-secret"))).isEqualTo(401);
        assertThat(deliver("tokens-revoked", Map.of("teamId", "T0SIM0001", "userIds", List.of("U0SIM0001"), "url",
                EVENTS, "revoke", false, "timestampSkewSeconds", -301))).isEqualTo(401);
        given().contentType("application/json").body("{\"type\":\"url_verification\",\"challenge\":\"x\"}")
                .post(EVENTS).then().statusCode(401);
        assertReady(c, true, "Authorized");
        assertThat(awaitStore(c)).containsKey("refresh_token");
    }

    @Test
    void urlVerificationIsAnswered() {
        String body = "{\"token\":\"t\",\"challenge\":\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\","
                + "\"type\":\"url_verification\"}";
        long ts = System.currentTimeMillis() / 1000;
        given().contentType("application/json").header("X-Slack-Request-Timestamp", Long.toString(ts))
                .header("X-Slack-Signature", SlackRequestSigner.sign("sim-signing-secret", ts, body)).body(body)
                .post(EVENTS).then().statusCode(200)
                .body("challenge", equalTo("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"));
    }

    @Test
    void metricsDescribeConnectionsCallbacksAndEvents() {
        SlackUserConnection c = authorized("metered");
        double callbacks = metric("slack_oauth_callbacks_total{result=\"success\"}");
        double before = metric("slack_events_total{result=\"ok\",type=\"tokens_revoked\"}");
        double events = Double.isNaN(before) ? 0 : before;
        deliver("tokens-revoked", Map.of("teamId", "T0NOBODY1", "userIds", List.of("U0NOBODY1"), "url", EVENTS,
                "revoke", false));
        // An absent series reads NaN, and NaN equals NaN for AssertJ: the series must exist after the event.
        assertThat(metric("slack_events_total{result=\"ok\",type=\"tokens_revoked\"}")).as("counted").isNotNaN()
                .isEqualTo(events + 1);
        assertThat(callbacks).as("this test's consent was counted").isGreaterThanOrEqualTo(1);
        assertThat(metric("slack_connections{reason=\"Authorized\"}")).isGreaterThanOrEqualTo(1);
        assertThat(metric("slack_token_expiry_timestamp_seconds{name=\"metered\",namespace=\"" + ns + "\"}"))
                .isEqualTo((double) java.time.Instant.parse(get(c).getStatus().getExpiresAt()).getEpochSecond());
    }

    /**
     * Defect: /slack/events read a whole body (Quarkus's default limit, 10 MB) before checking its signature: eight
     * concurrent 9 MiB posts took the operator's RSS from 197 to 400 MiB. A body over the limit is refused from its
     * Content-Length: the answer comes although not one byte of the body was sent.
     */
    @Test
    void bodiesOverTheLimitAreRefusedBeforeTheyAreRead() throws Exception {
        java.net.URI base = java.net.URI.create(OperatorProfile.BASE);
        var answers = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<String>> replies = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                replies.add(answers.submit(() -> {
                    try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
                        socket.setSoTimeout(10_000);
                        socket.getOutputStream().write(("POST /slack/events HTTP/1.1\r\nHost: localhost\r\n"
                                + "Content-Type: application/json\r\nContent-Length: " + (9 << 20) + "\r\n\r\n")
                                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                        socket.getOutputStream().flush();
                        byte[] head = new byte[12];
                        int n = socket.getInputStream().readNBytes(head, 0, head.length);
                        return new String(head, 0, n, java.nio.charset.StandardCharsets.US_ASCII);
                    }
                }));
            }
            for (var reply : replies) {
                assertThat(reply.get(20, java.util.concurrent.TimeUnit.SECONDS)).as("refused without the body")
                        .isEqualTo("HTTP/1.1 413");
            }
        } finally {
            answers.shutdownNow();
        }
    }
}
