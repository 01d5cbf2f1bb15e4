package dev.slacktokens.operator.slack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.ServerSocket;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.testing.CannedSlack;
import dev.slacktokens.operator.testing.CannedSlack.Canned;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** The HTTP side of the Slack client: what it sends, and how every kind of answer becomes a typed result. */
@QuarkusTest
class SlackClientTest {

    static final String ROTATING = "xoxe.xoxp-1-c2VjcmV0LWFjY2Vzcy10b2tlbi12YWx1ZS0xMjM0NTY3ODkw";
    static final String REFRESH = "xoxe-1-c2VjcmV0LXJlZnJlc2gtdG9rZW4tdmFsdWUtMTIzNDU2Nzg5MA";
    static final ClientCredentials APP = ClientCredentials.confidential("1111.2222", "s3cr3t-client");

    @TestHTTPResource("/canned")
    URL canned;

    SlackClient client;

    @BeforeEach
    void setUp() {
        client = SlackClient.create(URI.create(canned.toString()), Duration.ofSeconds(2), Duration.ofMillis(700));
    }

    @Test
    void codeExchangeSendsClientCredentialsInBasicAuthOnly() {
        CannedSlack.answer(Canned.json("""
                {"ok":true,"app_id":"A1","authed_user":{"id":"U1","scope":"chat:write","access_token":"%s",
                 "token_type":"user","refresh_token":"%s","expires_in":43200},"team":{"id":"T1"}}"""
                .formatted(ROTATING, REFRESH)));
        OAuthGrant grant = client.exchangeCode(APP, "the-code", "https://x.example.com/oauth/callback",
                Optional.empty());
        assertThat(grant.userToken().accessToken().reveal()).isEqualTo(ROTATING);

        CannedSlack.Recorded sent = CannedSlack.REQUESTS.get(0);
        assertThat(sent.method()).isEqualTo("oauth.v2.access");
        assertThat(sent.authorization()).isEqualTo("Basic " + Base64.getEncoder()
                .encodeToString("1111.2222:s3cr3t-client".getBytes(StandardCharsets.UTF_8)));
        assertThat(sent.form()).containsEntry("grant_type", List.of("authorization_code"))
                .containsEntry("code", List.of("the-code"))
                .containsEntry("redirect_uri", List.of("https://x.example.com/oauth/callback"))
                .doesNotContainKeys("client_secret", "client_id");
    }

    @Test
    void pkceExchangeAndRefreshSendClientIdWithoutSecret() {
        CannedSlack.answer(Canned.json("""
                {"ok":true,"token_type":"user","access_token":"%s","refresh_token":"%s","expires_in":43200,
                 "user_id":"U1"}""".formatted(ROTATING, REFRESH)));
        client.refresh(ClientCredentials.publicClient("1111.2222"), SlackToken.of(REFRESH), permit(client));
        CannedSlack.Recorded sent = CannedSlack.REQUESTS.get(0);
        assertThat(sent.authorization()).isNull();
        assertThat(sent.form()).containsEntry("client_id", List.of("1111.2222"))
                .containsEntry("grant_type", List.of("refresh_token"))
                .containsEntry("refresh_token", List.of(REFRESH)).doesNotContainKey("client_secret");
    }

    @Test
    void rateLimitCarriesRetryAfter() {
        CannedSlack.answer(new Canned(429, "application/json", "{\"ok\":false,\"error\":\"ratelimited\"}",
                Map.of("Retry-After", "17"), 0));
        var e = catchThrowableOfType(SlackRateLimitedException.class,
                () -> client.refresh(APP, SlackToken.of(REFRESH), permit(client)));
        assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(17));
        assertThat(e.method()).isEqualTo("oauth.v2.access");
        assertNoSecrets(e);
    }

    @Test
    void serverErrorsAreTransient() {
        for (int status : new int[] { 500, 502, 503, 504 }) {
            CannedSlack.answer(new Canned(status, "text/html", "<html>upstream down</html>", Map.of(), 0));
            var e = catchThrowableOfType(SlackTransientException.class,
                    () -> client.refresh(APP, SlackToken.of(REFRESH), permit(client)));
            assertThat(e.error()).isEqualTo("http_" + status);
            assertNoSecrets(e);
        }
    }

    @Test
    void unexpectedClientErrorStatusIsPermanent() {
        CannedSlack.answer(new Canned(404, "text/html", "not here", Map.of(), 0));
        var e = catchThrowableOfType(SlackPermanentException.class, () -> client.authTest(SlackToken.of(ROTATING)));
        assertThat(e.error()).isEqualTo("http_404");
    }

    @Test
    void nonJsonBodyIsATransientInvalidResponse() {
        CannedSlack.answer(new Canned(200, "application/json", "<html>captive portal</html>", Map.of(), 0));
        var e = catchThrowableOfType(SlackTransientException.class,
                () -> client.refresh(APP, SlackToken.of(REFRESH), permit(client)));
        assertThat(e.error()).isEqualTo("invalid_response");
        assertNoSecrets(e);
        // a truncated answer that holds a token: no parser message (which quotes the body) is kept as a cause
        CannedSlack.answer(new Canned(200, "application/json", "{\"ok\":true,\"refresh_token\":\"" + REFRESH + "\",",
                Map.of(), 0));
        var truncated = catchThrowableOfType(SlackTransientException.class,
                () -> client.refresh(APP, SlackToken.of(ROTATING), permit(client)));
        assertThat(truncated.error()).isEqualTo("invalid_response");
        assertThat(truncated.getCause()).isNull();
        assertNoSecrets(truncated);
    }

    @Test
    void slowAnswerTimesOutAsTransient() {
        CannedSlack.answer(new Canned(200, "application/json", "{\"ok\":true}", Map.of(), 2000));
        var e = catchThrowableOfType(SlackTransientException.class,
                () -> client.refresh(APP, SlackToken.of(REFRESH), permit(client)));
        assertThat(e.error()).isEqualTo("timeout");
        assertNoSecrets(e);
    }

    @Test
    void unreachableSlackIsTransient() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        SlackClient offline = SlackClient.create(URI.create("http://127.0.0.1:" + port), Duration.ofMillis(500),
                Duration.ofMillis(500));
        var e = catchThrowableOfType(SlackTransientException.class,
                () -> offline.refresh(APP, SlackToken.of(REFRESH), permit(offline)));
        assertThat(e.error()).as("a connection never made: the request never left").isEqualTo("connection_refused");
        assertNoSecrets(e);
    }

    @Test
    void okFalseBecomesATypedFailure() {
        CannedSlack.answer(Canned.json("{\"ok\":false,\"error\":\"invalid_refresh_token\"}"));
        var e = catchThrowableOfType(SlackPermanentException.class,
                () -> client.refresh(APP, SlackToken.of(REFRESH), permit(client)));
        assertThat(e.isInvalidGrant()).isTrue();
        assertNoSecrets(e);
    }

    @Test
    void authTestAndRevokeSendTheTokenAsBearer() {
        CannedSlack.answer(Canned.json("{\"ok\":true,\"user_id\":\"U1\",\"team_id\":\"T1\",\"team\":\"W\"}"));
        assertThat(client.authTest(SlackToken.of(ROTATING)).userId()).isEqualTo("U1");
        assertThat(CannedSlack.REQUESTS.get(0).authorization()).isEqualTo("Bearer " + ROTATING);

        CannedSlack.answer(Canned.json("{\"ok\":true,\"revoked\":true}"));
        assertThat(client.revoke(SlackToken.of(ROTATING))).isTrue();
        assertThat(CannedSlack.REQUESTS.get(0).method()).isEqualTo("auth.revoke");
        assertThat(CannedSlack.REQUESTS.get(0).authorization()).isEqualTo("Bearer " + ROTATING);
    }

    @Test
    void revokingAnAlreadyDeadTokenIsNotAnError() {
        for (String dead : List.of("token_revoked", "invalid_auth", "token_expired")) {
            CannedSlack.answer(Canned.json("{\"ok\":false,\"error\":\"" + dead + "\"}"));
            assertThat(client.revoke(SlackToken.of(REFRESH))).as(dead).isFalse();
        }
        CannedSlack.answer(Canned.json("{\"ok\":false,\"error\":\"internal_error\"}"));
        catchThrowableOfType(SlackTransientException.class, () -> client.revoke(SlackToken.of(REFRESH)));
    }

    @Test
    void legacyExchangeSendsCredentialsAndTokenAsFormFields() {
        CannedSlack.answer(Canned.json("""
                {"ok":true,"token_type":"user","access_token":"%s","refresh_token":"%s","expires_in":43200,
                 "user_id":"U1","team":{"id":"T1"}}""".formatted(ROTATING, REFRESH)));
        RefreshedToken pair = client.exchangeLegacyToken(APP, SlackToken.of("xoxp-1-2-3-legacy"));
        assertThat(pair.refreshToken().reveal()).isEqualTo(REFRESH);
        assertThat(CannedSlack.REQUESTS.get(0).method()).isEqualTo("oauth.v2.exchange");
        assertThat(CannedSlack.REQUESTS.get(0).form()).containsEntry("client_id", List.of("1111.2222"))
                .containsEntry("client_secret", List.of("s3cr3t-client"))
                .containsEntry("token", List.of("xoxp-1-2-3-legacy"));
    }

    private static void assertNoSecrets(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertThat(String.valueOf(t.getMessage())).doesNotContain(REFRESH).doesNotContain(ROTATING)
                    .doesNotContain("s3cr3t-client");
        }
    }

    /** A permit of the client's own limit (the operator takes it before writing its journal). */
    private static SlackRateLimiter.Permit permit(SlackClient client) {
        return (SlackRateLimiter.Permit) client.tryAcquireRefreshPermit();
    }
}
