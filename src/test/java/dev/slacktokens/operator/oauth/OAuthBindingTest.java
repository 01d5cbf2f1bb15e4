package dev.slacktokens.operator.oauth;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnectionSpec;
import dev.slacktokens.operator.store.TokenStore;
import dev.slacktokens.operator.testing.Browser;
import dev.slacktokens.operator.testing.OperatorProfile;
import dev.slacktokens.operator.testing.OperatorTestBase;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;

/**
 * Issue 9: a token is never lost and never bound to the wrong connection or person. Links are single-use per
 * authorization, a person sees what they are about to connect before Slack is asked, an identity switch needs a
 * re-authorization request, replaced tokens are revoked, and no token outlives a failed write or a deletion.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@TestProfile(OperatorProfile.class)
class OAuthBindingTest extends OperatorTestBase {

    static final String OTHER = "U0SIM0002";

    void anotherUserConsentsNext() {
        sim("/_sim/users", Map.of("id", OTHER, "teamId", "T0SIM0001", "name", "other.user"));
        sim("/_sim/consent", Map.of("userId", OTHER));
    }



    @SuppressWarnings("unchecked")
    Map<String, Object> liveTokens() {
        return (Map<String, Object>) simStat("live_user_access_tokens");
    }

    // ------------------------------------------------------------------ defect 3: links and identity

    @Test
    void anAuthorizeLinkIsSingleUseAndCannotRebindAReadyConnection() {
        SlackUserConnection c = create("once", spec("chat:write"));
        String link = awaitAuthorizeUrl(c);
        assertThat(new Browser().authorize(link).statusCode()).isEqualTo(200);
        awaitReady(c, true, "Authorized");
        Map<String, String> before = awaitStore(c);
        Map<String, String> workload = awaitWorkloadSecret(ns, "once");

        anotherUserConsentsNext();
        Object codes = simStat("codes_issued");
        assertPage(new Browser().authorize(link), 410, "already used");
        // The refusal comes before Slack: no consent, no code (the live-token check below holds trivially then).
        assertThat(simStat("codes_issued")).as("Slack's consent was never reached").isEqualTo(codes);

        Map<String, String> after = awaitStore(c);
        assertThat(after.get("user_id")).isEqualTo("U0SIM0001");
        assertThat(after.get("access_token")).isEqualTo(before.get("access_token"));
        assertThat(slackAuthTestError(before.get("access_token"))).as("the bound token still works").isNull();
        assertThat(awaitWorkloadSecret(ns, "once")).isEqualTo(workload);
        assertThat(liveTokens()).doesNotContainKey(OTHER);
        assertThat(get(c).getStatus().getUser().getId()).isEqualTo("U0SIM0001");
    }

    @Test
    void anotherUserCannotTakeOverALiveConnectionWithoutAReauthorizationRequest() {
        sim("/_sim/consent", Map.of("userId", "U0SIM0001", "declineScopes", List.of("users:read")));
        SlackUserConnection c = create("takeover", spec("chat:write", "users:read"));
        String first = awaitAuthorizeUrl(c);
        assertThat(new Browser().authorize(first).statusCode()).isEqualTo(200);
        awaitReady(c, false, "MissingScopes");
        Map<String, String> before = awaitStore(c);
        await().atMost(WAIT).until(() -> !first.equals(get(c).getStatus().getAuthorizeUrl()));
        String again = get(c).getStatus().getAuthorizeUrl();

        anotherUserConsentsNext();
        HttpResponse<String> page = new Browser().authorize(again);
        assertPage(page, 409, "another Slack user");
        assertThat(page.body()).contains("U0SIM0001").contains(OTHER).contains("slacktokens.dev/reauthorize");

        assertThat(awaitStore(c)).isEqualTo(before);
        assertThat(liveTokens()).as("the new user's tokens were revoked").doesNotContainKey(OTHER);
        assertThat(slackAuthTestError(before.get("access_token"))).isNull();
    }

    @Test
    void aRequestedReauthorizationMayChangeTheUserAndSaysSoInAWarningEvent() {
        SlackUserConnection c = create("handover", spec("chat:write"));
        assertThat(new Browser().authorize(awaitAuthorizeUrl(c)).statusCode()).isEqualTo(200);
        awaitReady(c, true, "Authorized");
        annotate(c, "slacktokens.dev/reauthorize", "1");
        String link = awaitReady(c, false, "ReauthorizationRequired").getStatus().getAuthorizeUrl();

        anotherUserConsentsNext();
        assertThat(new Browser().authorize(link).statusCode()).isEqualTo(200);
        await().atMost(WAIT).untilAsserted(() -> assertThat(get(c).getStatus().getUser().getId()).isEqualTo(OTHER));
        awaitReady(c, true, "Authorized");
        await().atMost(WAIT).untilAsserted(() -> assertThat(client.v1().events().inNamespace(ns).list().getItems())
                .filteredOn(e -> "IdentityChanged".equals(e.getReason()))
                .singleElement().satisfies(e -> {
                    assertThat(e.getType()).isEqualTo("Warning");
                    assertThat(e.getMessage()).contains("U0SIM0001").contains(OTHER).doesNotContain("xox");
                }));
    }

    @Test
    void reconsentingRevokesTheTokensItReplaces() {
        sim("/_sim/consent", Map.of("userId", "U0SIM0001", "declineScopes", List.of("users:read")));
        SlackUserConnectionSpec spec = spec("chat:write", "users:read");
        SlackUserConnection c = create("renew", spec);
        String first = awaitAuthorizeUrl(c);
        assertThat(new Browser().authorize(first).statusCode()).isEqualTo(200);
        awaitReady(c, false, "MissingScopes");
        Map<String, String> old = awaitStore(c);
        await().atMost(WAIT).until(() -> !first.equals(get(c).getStatus().getAuthorizeUrl()));

        assertThat(new Browser().authorize(get(c).getStatus().getAuthorizeUrl()).statusCode()).isEqualTo(200);
        awaitReady(c, true, "Authorized");
        assertThat(awaitStore(c).get("access_token")).isNotEqualTo(old.get("access_token"));
        assertThat(slackAuthTestError(old.get("access_token"))).isEqualTo("token_revoked");
        assertThat(given().baseUri(OperatorProfile.BASE).auth().preemptive().basic("1111.2222", "sim-client-secret")
                .formParam("grant_type", "refresh_token").formParam("refresh_token", old.get("refresh_token"))
                .post("/api/oauth.v2.access").then().extract().<String>path("error"))
                .isEqualTo("invalid_refresh_token");
        assertThat(client.v1().events().inNamespace(ns).list().getItems())
                .noneMatch(e -> "IdentityChanged".equals(e.getReason()));
    }

    @Test
    void startShowsWhatWillBeConnectedAndOnlyTheButtonGoesToSlack() {
        SlackUserConnectionSpec spec = spec("chat:write", "users:read");
        spec.setTeam("T0SIM0001");
        SlackUserConnection c = create("confirm", spec);
        String link = awaitAuthorizeUrl(c);
        Browser browser = new Browser();
        HttpResponse<String> page = browser.get(URI.create(link));
        assertPage(page, 200, ns + "/confirm");
        assertThat(page.body()).contains("<code>chat:write</code>").contains("<code>users:read</code>")
                .contains("T0SIM0001 only").contains("<button")
                .contains("Secret confirm in Kubernetes namespace " + ns);
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp -> assertThat(csp)
                .contains("default-src 'none'").contains("frame-ancestors 'none'"));
        assertThat(simStat("codes_issued")).as("nothing asked of Slack yet").isNull();
        assertThat(Browser.form(page)).isPresent();

        // A forged cross-site POST carries no (SameSite) flow cookie: refused.
        URI action = URI.create(link).resolve(Browser.form(page).get());
        assertPage(new Browser().post(action, Browser.hidden(page)), 400, "Start again in this browser");
        HttpResponse<String> toSlack = browser.post(action, Browser.hidden(page));
        assertThat(toSlack.statusCode()).isEqualTo(303);
        assertThat(toSlack.headers().firstValue("Location").orElseThrow())
                .startsWith(OperatorProfile.BASE + "/oauth/v2/authorize?");
        assertNoSecrets(c);
    }

    // ------------------------------------------------------------------ defect 6: nothing live is left behind

    @Test
    void aFailedStoreWriteRevokesTheNewTokensAndSaysSo() throws Exception {
        sim("/_sim/consent", Map.of("userId", "U0SIM0001", "declineScopes", List.of("users:read")));
        SlackUserConnection c = create("unsaved", spec("chat:write", "users:read"));
        String uid = get(c).getMetadata().getUid();
        String first = awaitAuthorizeUrl(c);
        assertThat(new Browser().authorize(first).statusCode()).isEqualTo(200);
        awaitReady(c, false, "MissingScopes");
        await().atMost(WAIT).until(() -> !first.equals(get(c).getStatus().getAuthorizeUrl()));
        Browser browser = new Browser();
        URI callback = browser.followUntil(get(c).getStatus().getAuthorizeUrl(), OperatorProfile.BASE
                + "/oauth/callback");
        // While Slack answers (3 s), the token store this consent replaces disappears: the compare-and-set update
        // finds nothing to update (HTTP 404, not a conflict).
        sim("/_sim/faults", Map.of("method", "oauth.v2.access", "latencyMillis", 3000, "count", 1));
        CompletableFuture<HttpResponse<String>> answer = CompletableFuture.supplyAsync(() -> browser.get(callback));
        Thread.sleep(1000);
        client.secrets().inNamespace(OperatorProfile.OPERATOR_NAMESPACE).withName(TokenStore.storeName(uid)).delete();

        HttpResponse<String> page = answer.get(30, TimeUnit.SECONDS);
        assertPage(page, 503, "Could not save the authorization");
        assertThat(page.body()).contains("revoked");
        assertThat(simStat("codes_exchanged")).isEqualTo(2);
        assertThat(liveTokens()).as("only the first consent's token is live").containsEntry("U0SIM0001", 1);
        assertThat(client.secrets().inNamespace(OperatorProfile.OPERATOR_NAMESPACE)
                .withName(TokenStore.storeName(uid)).get()).isNull();
    }

    @Test
    void aConnectionDeletedWhileItsCallbackRunsKeepsNoTokenStore() throws Exception {
        SlackUserConnection c = create("racing", spec("chat:write"));
        String uid = get(c).getMetadata().getUid();
        Browser browser = new Browser();
        URI callback = callbackFor(browser, c);
        // The exchange takes 6 s at Slack; the connection is deleted (and its finalizer done) meanwhile.
        sim("/_sim/faults", Map.of("method", "oauth.v2.access", "latencyMillis", 6000, "count", 1));
        CompletableFuture<HttpResponse<String>> answer = CompletableFuture.supplyAsync(() -> browser.get(callback));
        Thread.sleep(1000);
        client.resource(get(c)).delete();
        await().atMost(WAIT).until(() -> get(c) == null);
        assertThat(answer).as("the callback is still waiting for Slack").isNotDone();

        assertPage(answer.get(30, TimeUnit.SECONDS), 410, "no longer exists");
        await().atMost(WAIT).untilAsserted(() -> assertThat(client.secrets()
                .inNamespace(OperatorProfile.OPERATOR_NAMESPACE).withName(TokenStore.storeName(uid)).get()).isNull());
        assertThat(liveTokens()).as("the orphaned tokens were revoked").isEmpty();
    }
}
