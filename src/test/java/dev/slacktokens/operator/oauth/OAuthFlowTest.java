package dev.slacktokens.operator.oauth;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.api.v1alpha1.Condition;
import dev.slacktokens.operator.api.v1alpha1.SecretKeyRef;
import dev.slacktokens.operator.api.v1alpha1.SlackAppRef;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnectionSpec;
import dev.slacktokens.operator.connection.StateCodec;
import dev.slacktokens.operator.connection.StateKeys;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.store.TokenStore;
import dev.slacktokens.operator.testing.Browser;
import dev.slacktokens.operator.testing.OperatorProfile;
import dev.slacktokens.operator.testing.OperatorTestBase;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.http.ContentType;

/**
 * The OAuth flow end to end on the Fabric8 CRUD mock server, with the Slack simulator: a connection is applied,
 * a browser follows its authorize link through Slack's consent to the callback, and the workload Secret appears.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@TestProfile(OperatorProfile.class)
class OAuthFlowTest extends OperatorTestBase {

    // ------------------------------------------------------------------ happy paths

    /**
     * The confirmation page speaks to the Slack user deciding: the app by its name (not its client id), what each
     * scope lets a workload do as them, where the token goes. A refusal says what that person can do apart from what
     * the connection's owner runs.
     */
    @Test
    void thePagesSpeakToThePersonInFrontOfThem() {
        SlackUserConnection c = create("words", spec("chat:write", "users:read", "canvases:read"));
        String link = awaitAuthorizeUrl(c);
        Browser browser = new Browser();
        HttpResponse<String> confirmation = browser.open(link);
        assertThat(confirmation.statusCode()).isEqualTo(200);
        assertThat(confirmation.body()).contains("<html lang=\"en\">").contains(OperatorProfile.APP_NAME)
                .doesNotContain("1111.2222")
                .contains("<li><code>chat:write</code>: Send messages as you</li>")
                .contains("<li><code>users:read</code>: View people in the workspace</li>")
                .contains("<li><code>canvases:read</code></li>")
                .contains("Secret words in Kubernetes namespace " + ns)
                .doesNotContain("<script");
        assertThat(browser.authorize(link).statusCode()).isEqualTo(200);
        awaitReady(c, true, "Authorized");

        HttpResponse<String> used = new Browser().open(link);
        assertPage(used, 410, "Link already used");
        String body = used.body();
        int you = body.indexOf("<h2>What you can do</h2>");
        int owner = body.indexOf("<h2>If you own this connection</h2>");
        assertThat(you).as(body).isPositive().isLessThan(owner);
        assertThat(body.substring(you, owner)).contains("ask the connection&#39;s owner for a new link")
                .doesNotContain("kubectl");
        assertThat(body.substring(owner)).contains("<pre><code>kubectl get suc words -n " + ns
                + " -o jsonpath=&#39;{.status.authorizeUrl}&#39;</code></pre>");
    }

    @Test
    void applyConsentCallbackGivesAWorkloadSecretAndReady() {
        SlackUserConnection c = create("alice", spec("chat:write", "users:read"));
        String link = awaitAuthorizeUrl(c);
        assertThat(link).startsWith(OperatorProfile.BASE + "/oauth/start?c=");
        assertReady(c, false, "AwaitingAuthorization");

        HttpResponse<String> page = new Browser().authorize(link);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("Connected").contains("U0SIM0001").contains(ns + "/alice")
                .doesNotContain("xoxe");
        assertThat(page.headers().firstValue("Cache-Control")).contains("no-store");

        Map<String, String> store = awaitStore(c);
        assertThat(store).containsKeys("access_token", "refresh_token", "expires_at", "user_id", "team_id", "scope");
        Map<String, String> workload = awaitWorkloadSecret(ns, "alice");
        assertThat(workload).containsOnlyKeys("access_token", "token_type", "user_id", "team_id", "scope",
                "expires_at");
        assertThat(workload).containsEntry("token_type", "user").containsEntry("user_id", "U0SIM0001")
                .containsEntry("team_id", "T0SIM0001").containsEntry("scope", "chat:write,users:read")
                .containsEntry("access_token", store.get("access_token"));
        assertThat(workload.values()).doesNotContain(store.get("refresh_token"));
        Secret secret = client.secrets().inNamespace(ns).withName("alice").get();
        assertThat(secret.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by",
                "slack-token-operator").containsEntry("slacktokens.dev/connection", "alice");
        assertThat(secret.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getUid()).isEqualTo(c.getMetadata().getUid()));

        SlackUserConnection ready = awaitReady(c, true, "Authorized");
        var status = ready.getStatus();
        assertThat(status.getUser().getId()).isEqualTo("U0SIM0001");
        assertThat(status.getTeam().getId()).isEqualTo("T0SIM0001");
        assertThat(status.getTeam().getName()).isEqualTo("Simulated Workspace");
        assertThat(status.getGrantedScopes()).containsExactly("chat:write", "users:read");
        assertThat(Instant.parse(status.getExpiresAt())).isAfter(Instant.now().plus(Duration.ofHours(11)));
        assertThat(status.getSecretName()).isEqualTo("alice");
        assertThat(status.getAuthorizeUrl()).isNull();
        // one Event per transition, saying what happened without a token
        await().atMost(WAIT).untilAsserted(() -> assertThat(client.v1().events().inNamespace(ns).list().getItems())
                .filteredOn(e -> "alice".equals(e.getInvolvedObject().getName()))
                .extracting(e -> e.getReason() + ":" + e.getType())
                .containsExactlyInAnyOrder("AwaitingAuthorization:Normal", "Authorized:Normal"));
        assertThat(client.v1().events().inNamespace(ns).list().getItems())
                .allSatisfy(e -> assertThat(e.getMessage()).doesNotContain("xox"));
        // the simulator accepts the projected token
        given().baseUri(OperatorProfile.BASE).header("Authorization", "Bearer " + workload.get("access_token"))
                .post("/api/auth.test").then().body("ok", org.hamcrest.Matchers.equalTo(true));
    }

    @Test
    void botPlusUserInstallStoresTheBotTokenToo() {
        SlackUserConnectionSpec spec = spec("chat:write");
        spec.setBotScopes(List.of("channels:read"));
        spec.setSecretName("bot-and-user");
        SlackUserConnection c = create("bob", spec);
        assertThat(new Browser().authorize(awaitAuthorizeUrl(c)).statusCode()).isEqualTo(200);
        Map<String, String> workload = awaitWorkloadSecret(ns, "bot-and-user");
        assertThat(workload.get("bot_access_token")).startsWith("xoxe.xoxb-1-");
        assertThat(awaitStore(c)).containsKeys("bot_access_token", "bot_refresh_token", "bot_user_id");
        assertThat(awaitReady(c, true, "Authorized").getStatus().getSecretName()).isEqualTo("bot-and-user");
    }

    @Test
    void orgInstallEndsReadyWithAnEnterpriseAndNoTeam() {
        sim("/_sim/teams", Map.of("id", "T0ORG0001", "name", "Org Workspace", "domain", "orgws", "enterpriseId",
                "E0ORG0001", "enterpriseName", "Big Org"));
        sim("/_sim/users", Map.of("id", "W0ORG0001", "teamId", "T0ORG0001", "name", "org.user"));
        sim("/_sim/consent", Map.of("userId", "W0ORG0001", "enterpriseInstall", true));
        SlackUserConnectionSpec spec = spec("chat:write");
        spec.setTeam("E0ORG0001");
        SlackUserConnection c = create("org", spec);
        assertThat(new Browser().authorize(awaitAuthorizeUrl(c)).statusCode()).isEqualTo(200);
        var status = awaitReady(c, true, "Authorized").getStatus();
        assertThat(status.getEnterprise().getId()).isEqualTo("E0ORG0001");
        assertThat(status.getEnterprise().getName()).isEqualTo("Big Org");
        assertThat(status.getTeam()).isNull();
        assertThat(status.getUser().getId()).isEqualTo("W0ORG0001");
        assertThat(awaitWorkloadSecret(ns, "org")).containsEntry("enterprise_id", "E0ORG0001")
                .doesNotContainKey("team_id");
    }

    @Test
    void declinedScopesAreFlaggedAndTheTokenIsStillProjected() {
        sim("/_sim/consent", Map.of("userId", "U0SIM0001", "declineScopes", List.of("users:read")));
        SlackUserConnection c = create("partial", spec("chat:write", "users:read"));
        assertThat(new Browser().authorize(awaitAuthorizeUrl(c)).statusCode()).isEqualTo(200);
        var status = awaitReady(c, false, "MissingScopes").getStatus();
        assertThat(status.getGrantedScopes()).containsExactly("chat:write");
        assertThat(status.getMissingScopes()).containsExactly("users:read");
        assertThat(status.getAuthorizeUrl()).as("a new consent is needed for the missing scope").isNotNull();
        assertThat(awaitWorkloadSecret(ns, "partial")).containsEntry("scope", "chat:write");
    }

    // ------------------------------------------------------------------ refusals: specific page, no Secret

    @Test
    void forgedStateIsRefused() {
        SlackUserConnection c = create("forged", spec("chat:write"));
        Browser browser = new Browser();
        URI callback = callbackFor(browser, c);
        String code = query(callback, "code");
        String state = query(callback, "state");
        String tampered = state.substring(0, state.indexOf('.')) + "." + "A".repeat(43);
        assertPage(browser.get(URI.create(OperatorProfile.BASE + "/oauth/callback?code=" + code + "&state="
                + tampered)), 400, "Invalid OAuth state");
        assertPage(browser.get(URI.create(OperatorProfile.BASE + "/oauth/callback?code=" + code
                + "&state=not-a-state")), 400, "Invalid OAuth state");
        // a link is signed too, but is not a state
        String link = awaitAuthorizeUrl(c);
        assertPage(browser.get(URI.create(OperatorProfile.BASE + "/oauth/callback?code=" + code + "&state="
                + link.substring(link.indexOf("c=") + 2))), 400, "Invalid OAuth state");
        assertNoSecrets(c);
    }

    @Test
    void refusalsBeforeSlackAreLoggedWithTheirCauseAndCounted() throws Exception {
        String series = "slack_oauth_start_refusals_total{result=\"invalid_link\",step=\"link\"}";
        double before = metric(series);
        assertPage(new Browser().get(URI.create(OperatorProfile.BASE + "/oauth/start?c=not-a-link")), 400,
                "Invalid authorize link");
        assertThat(metric(series)).isEqualTo(Double.isNaN(before) ? 1 : before + 1);
        String continueSeries = "slack_oauth_start_refusals_total{result=\"invalid_state\",step=\"continue\"}";
        double continueBefore = metric(continueSeries);
        HttpResponse<String> page = new Browser().post(URI.create(OperatorProfile.BASE + "/oauth/start"),
                Map.of("state", "forged\nline"));
        assertPage(page, 400, "Invalid OAuth state");
        assertThat(metric(continueSeries)).isEqualTo(Double.isNaN(continueBefore) ? 1 : continueBefore + 1);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                Files.readString(Path.of("target/test-logs/quarkus.log")))
                .contains("OAuth link refused (invalid_link): Invalid authorize link: ")
                .contains("OAuth confirmation refused (invalid_state): Invalid OAuth state: "));
    }

    @Test
    void expiredStateIsRefused() {
        SlackUserConnection c = create("late", spec("chat:write"));
        awaitAuthorizeUrl(c);
        StateCodec past = new StateCodec(stateKey(), Clock.fixed(Instant.now().minus(Duration.ofMinutes(11)),
                ZoneOffset.UTC));
        String state = past.sign(past.newState(ns, "late", get(c).getMetadata().getUid(), 0));
        assertPage(new Browser().get(URI.create(OperatorProfile.BASE + "/oauth/callback?code=x&state=" + state)),
                400, "Link expired");
        assertNoSecrets(c);
    }

    @Test
    void replayedCallbackChangesNothing() {
        SlackUserConnection c = create("replay", spec("chat:write"));
        Browser browser = new Browser();
        URI callback = callbackFor(browser, c);
        assertThat(browser.get(callback).statusCode()).isEqualTo(200);
        awaitStore(c);
        Secret before = storeSecret(c);
        assertPage(browser.get(callback), 409, "Already connected");
        assertPage(new Browser().get(callback), 409, "Already connected");
        assertThat(storeSecret(c).getMetadata().getResourceVersion())
                .isEqualTo(before.getMetadata().getResourceVersion());
    }

    @Test
    void callbackInAnotherBrowserIsRefused() {
        SlackUserConnection c = create("cookieless", spec("chat:write"));
        URI callback = callbackFor(new Browser(), c);
        assertPage(new Browser().get(callback), 400, "no flow cookie");
        assertNoSecrets(c);
    }

    @Test
    void callbackWithAnotherFlowsCookieIsRefused() {
        SlackUserConnection c = create("twotabs", spec("chat:write"));
        Browser browser = new Browser();
        URI first = callbackFor(browser, c);
        callbackFor(browser, c);
        assertPage(browser.get(first), 400, "does not belong to this authorization");
        assertNoSecrets(c);
    }

    @Test
    void callbackForADeletedConnectionIsRefused() {
        SlackUserConnection c = create("gone", spec("chat:write"));
        Browser browser = new Browser();
        URI callback = callbackFor(browser, c);
        String uid = get(c).getMetadata().getUid();
        client.resource(get(c)).delete();
        await().atMost(WAIT).until(() -> get(c) == null);
        assertPage(browser.get(callback), 410, "no longer exists");
        assertThat(client.secrets().inNamespace(OperatorProfile.OPERATOR_NAMESPACE)
                .withName(TokenStore.storeName(uid)).get()).isNull();
    }

    @Test
    void callbackForARecreatedConnectionIsRefused() {
        SlackUserConnection c = create("again", spec("chat:write"));
        Browser browser = new Browser();
        URI callback = callbackFor(browser, c);
        String oldUid = get(c).getMetadata().getUid();
        client.resource(get(c)).delete();
        await().atMost(WAIT).until(() -> get(c) == null);
        SlackUserConnection recreated = create("again", spec("chat:write"));
        assertThat(recreated.getMetadata().getUid()).isNotEqualTo(oldUid);
        assertPage(browser.get(callback), 410, "deleted and created again");
        assertThat(client.secrets().inNamespace(OperatorProfile.OPERATOR_NAMESPACE)
                .withName(TokenStore.storeName(oldUid)).get()).isNull();
        assertNoSecrets(recreated);
    }

    @Test
    void deniedConsentIsReported() {
        sim("/_sim/consent", Map.of("userId", "U0SIM0001", "deny", true));
        SlackUserConnection c = create("denied", spec("chat:write"));
        assertPage(new Browser().authorize(awaitAuthorizeUrl(c)), 403, "declined");
        assertNoSecrets(c);
        assertReady(c, false, "AwaitingAuthorization");
    }

    @Test
    void consentInTheWrongWorkspaceIsRefusedAndItsTokensRevoked() {
        SlackUserConnectionSpec spec = spec("chat:write");
        spec.setTeam("T0OTHER01");
        SlackUserConnection c = create("wrongteam", spec);
        HttpResponse<String> page = new Browser().authorize(awaitAuthorizeUrl(c));
        assertPage(page, 403, "expects workspace T0OTHER01");
        assertNoSecrets(c);
        assertThat(simStat("revocations")).isEqualTo(2);
        assertThat((Map<?, ?>) simStat("live_user_access_tokens")).isEmpty();
    }

    @Test
    void consentByTheWrongUserIsRefused() {
        SlackUserConnectionSpec spec = spec("chat:write");
        spec.setUser("U0OTHER01");
        SlackUserConnection c = create("wronguser", spec);
        assertPage(new Browser().authorize(awaitAuthorizeUrl(c)), 403, "expects Slack user U0OTHER01");
        assertNoSecrets(c);
    }

    @Test
    void teamIsPassedToSlacksAuthorizePage() {
        SlackUserConnectionSpec spec = spec("chat:write");
        spec.setTeam("T0SIM0001");
        SlackUserConnection c = create("teamparam", spec);
        Browser browser = new Browser();
        URI authorize = browser.followUntil(awaitAuthorizeUrl(c), OperatorProfile.BASE + "/oauth/v2/authorize");
        assertThat(query(authorize, "team")).isEqualTo("T0SIM0001");
        assertThat(query(authorize, "client_id")).isEqualTo("1111.2222");
        assertThat(query(authorize, "user_scope")).isEqualTo("chat:write");
        assertThat(query(authorize, "redirect_uri")).isEqualTo(OperatorProfile.BASE + "/oauth/callback");
        var cookie = browser.cookies.getCookieStore().getCookies().stream()
                .filter(k -> k.getName().equals(OAuthResource.COOKIE)).findFirst().orElseThrow();
        assertThat(cookie.isHttpOnly()).isTrue();
        assertThat(cookie.getPath()).isEqualTo("/oauth");
        assertThat(cookie.getMaxAge()).isBetween(590L, 600L);
    }

    // ------------------------------------------------------------------ the workload Secret is a projection

    @Test
    void workloadSecretDeletedOrEditedByHandComesBack() {
        SlackUserConnection c = create("durable", spec("chat:write"));
        assertThat(new Browser().authorize(awaitAuthorizeUrl(c)).statusCode()).isEqualTo(200);
        Map<String, String> original = awaitWorkloadSecret(ns, "durable");

        client.secrets().inNamespace(ns).withName("durable").delete();
        await().atMost(WAIT).until(() -> {
            Secret s = client.secrets().inNamespace(ns).withName("durable").get();
            return s != null && decode(s).equals(original);
        });

        Secret edited = client.secrets().inNamespace(ns).withName("durable").get();
        edited.getData().put("access_token", Base64.getEncoder().encodeToString("tampered".getBytes()));
        client.resource(edited).update();
        await().atMost(WAIT).until(() -> decode(client.secrets().inNamespace(ns).withName("durable").get())
                .equals(original));
    }

    // ------------------------------------------------------------------ invalid specs

    @Test
    void missingClientSecretIsAnInvalidSpecNamingTheSecret() {
        SlackUserConnectionSpec spec = spec("chat:write");
        spec.setSlackApp(new SlackAppRef("3333.4444", new SecretKeyRef("my-app", "client-secret")));
        SlackUserConnection c = create("ownapp", spec);
        SlackUserConnection live = awaitReady(c, false, "InvalidSpec");
        assertThat(readyMessage(live)).contains("Secret " + ns + "/my-app").contains("does not exist");
        assertThat(live.getStatus().getAuthorizeUrl()).isNull();

        client.resource(new SecretBuilder().withNewMetadata().withName("my-app").withNamespace(ns).endMetadata()
                .addToData("other", "eA==").build()).create();
        client.resource(get(c)).edit(x -> {
            x.getSpec().setUserScopes(List.of("chat:write", "users:read"));
            return x;
        });
        await().atMost(WAIT).untilAsserted(() -> assertThat(readyMessage(get(c)))
                .contains("key 'client-secret' of Secret " + ns + "/my-app"));
    }

    @Test
    void specThatTheSchemaWouldRejectIsAnInvalidSpecToo() {
        SlackUserConnectionSpec spec = spec("chat:write");
        spec.setRedirectUri("http://example.com/callback");
        spec.setRefreshBefore("12h");
        SlackUserConnection c = create("badspec", spec);
        String message = readyMessage(awaitReady(c, false, "InvalidSpec"));
        assertThat(message).contains("spec.redirectUri must be an https URL")
                .contains("spec.refreshBefore must be between 1m and 11h");
    }

    @Test
    void replicasStartingTogetherEndWithOneStateKey() throws Exception {
        String namespace = "keyrace-" + UUID.randomUUID().toString().substring(0, 8);
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<String>> keys = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                keys.add(pool.submit(() -> new StateKeys(client, namespace, "state-key", Clock.systemUTC()).codec()
                        .cookieValue("probe")));
            }
            Set<String> distinct = new java.util.HashSet<>();
            for (var k : keys) {
                distinct.add(k.get());
            }
            assertThat(distinct).hasSize(1);
            assertThat(client.secrets().inNamespace(namespace).list().getItems()).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aSecretSomeoneElseOwnsIsNeverTakenOver() {
        client.resource(new SecretBuilder().withNewMetadata().withName("taken").withNamespace(ns).endMetadata()
                .addToData("password", "aHVudGVyMg==").build()).create();
        SlackUserConnectionSpec spec = spec("chat:write");
        spec.setSecretName("taken");
        SlackUserConnection c = create("grabby", spec);
        assertThat(new Browser().authorize(awaitAuthorizeUrl(c)).statusCode()).isEqualTo(200);
        assertThat(readyMessage(awaitReady(c, false, "InvalidSpec"))).contains("Secret " + ns + "/taken already exists");
        Secret untouched = client.secrets().inNamespace(ns).withName("taken").get();
        assertThat(untouched.getData()).containsOnlyKeys("password");
        assertThat(untouched.getMetadata().getOwnerReferences()).isNullOrEmpty();
    }

    @Test
    void connectionsInTheOperatorNamespaceAreRefused() {
        SlackUserConnection c = new SlackUserConnection();
        c.setMetadata(new ObjectMetaBuilder().withName("sneaky").withNamespace(OperatorProfile.OPERATOR_NAMESPACE)
                .build());
        c.setSpec(spec("chat:write"));
        client.resource(c).create();
        await().atMost(WAIT).untilAsserted(() -> {
            var live = get(c);
            assertThat(live.getStatus()).isNotNull();
            assertThat(readyMessage(live)).contains("not allowed in the operator's own namespace");
            assertThat(live.getStatus().getAuthorizeUrl()).isNull();
        });
        client.resource(get(c)).delete();
    }

    @AfterAll
    static void noTokenInTheLogs() throws Exception {
        Path log = Path.of("target/test-logs/quarkus.log");
        assertThat(log).exists();
        String text = Files.readString(log);
        assertThat(SEEN_TOKENS).isNotEmpty();
        for (String token : SEEN_TOKENS) {
            assertThat(text).doesNotContain(token);
        }
        assertThat(Pattern.compile("xox[a-z.]*-[0-9a-zA-Z-]{12,}").matcher(text).find()).as("token-like text in logs")
                .isFalse();
    }

}
