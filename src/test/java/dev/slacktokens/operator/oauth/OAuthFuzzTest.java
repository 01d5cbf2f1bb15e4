package dev.slacktokens.operator.oauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.connection.StateCodec;
import dev.slacktokens.operator.store.StoreCodec;
import dev.slacktokens.operator.testing.Browser;
import dev.slacktokens.operator.testing.Fuzz;
import dev.slacktokens.operator.testing.FuzzProfile;
import dev.slacktokens.operator.testing.HttpFuzzBase;
import dev.slacktokens.operator.testing.OperatorProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;

/**
 * Fuzzes {@code /oauth/callback} and {@code /oauth/start} on the running operator, with a Ready connection and a
 * consent in flight: generated, mutated and duplicated parameters and cookies (also sent raw, with invalid escapes)
 * get a specific 4xx page without a stack trace or a token, and no Secret anywhere changes.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@TestProfile(FuzzProfile.class)
class OAuthFuzzTest extends HttpFuzzBase {

    static final int CALLBACK_CASES = 400;
    static final int START_CASES = 200;
    /** Refused state or cookie 400, declined 403, replay 409, connection gone 410, URL or headers too large. */
    static final Set<Integer> CALLBACK = Set.of(400, 403, 409, 410, 414, 431);
    static final Set<Integer> REFUSED_START = Set.of(400, 410, 414, 431);
    static final Set<Integer> NOT_A_STATE = Set.of(400, 414, 431);
    static final String[] BAD_ESCAPES = { "%", "%zz", "%e9", "%C3%28", "%00", "%%", "%u00e9", "%2", "+%FF%FE" };

    /** A consent that reached Slack's redirect: what the browser holds at the callback. */
    record Flow(String state, String code, String cookie) {
    }

    record Request(String query, List<String> cookies, boolean raw, boolean genuineState, String sent) {
        @Override
        public String toString() {
            return (raw ? "raw " : "") + "?" + query + " cookies " + cookies;
        }
    }

    @Test
    void callbackAnswersEveryGeneratedRequestWithASpecificRefusalAndChangesNoSecret() {
        SlackUserConnection ready = create("fuzz-ready", spec("chat:write"));
        Browser first = new Browser();
        URI firstCallback = callbackFor(first, ready);
        assertThat(first.get(firstCallback).statusCode()).isEqualTo(200);
        awaitReady(ready, true, "Authorized");
        awaitStore(ready);
        awaitWorkloadSecret(ns, "fuzz-ready");
        Flow consumed = new Flow(query(firstCallback, "state"), query(firstCallback, "code"), null);

        SlackUserConnection pending = create("fuzz-pending", spec("chat:write"));
        Browser pendingBrowser = new Browser();
        URI pendingCallback = callbackFor(pendingBrowser, pending);
        Flow p = flow(pendingBrowser, pendingCallback);
        String pendingLink = awaitAuthorizeUrl(pending);

        // a second consent for the Ready connection, left unfinished: its genuine state and cookie are fuzzed too
        String readyLink = OperatorProfile.BASE + "/oauth/start?c=" + new StateCodec(stateKey(), Clock.systemUTC())
                .signLink(ns, "fuzz-ready", get(ready).getMetadata().getUid(),
                        StoreCodec.decode(storeSecret(ready)).authorizations(), Duration.ofHours(1));
        Browser readyBrowser = new Browser();
        Flow r = flow(readyBrowser, readyBrowser.followUntil(readyLink, OperatorProfile.BASE + "/oauth/callback"));

        List<Flow> flows = List.of(p, r);
        String linkAsState = pendingLink.substring(pendingLink.indexOf("c=") + 2);
        Map<String, String> before = settledSecrets();

        Fuzz.forAll("callback", CALLBACK_CASES, rnd -> callbackRequest(rnd, flows, consumed, linkAsState), req -> {
            Answer answer = req.raw() ? raw("GET /oauth/callback?" + req.query() + " HTTP/1.1"
                    + cookieLines(req.cookies()), new byte[0])
                    : send(withCookies(HttpRequest.newBuilder(uri("/oauth/callback?" + req.query())), req.cookies()));
            check("callback " + req, answer, CALLBACK, req.sent());
            if (!req.genuineState()) {
                assertThat(answer.status()).as("a string that is no issued state").isIn(NOT_A_STATE);
            }
        });

        assertSecretsUnchanged(before);
        assertReady(ready, true, "Authorized");
        assertThat(storeSecret(pending)).as("no token store for the connection whose consent was fuzzed").isNull();
        assertNoTokenInEventsOrStatus();
        // the junk spent neither the code nor the state: the genuine callback still completes
        assertThat(pendingBrowser.get(pendingCallback).statusCode()).isEqualTo(200);
    }

    @Test
    void startAnswersEveryGeneratedLinkWithTheConfirmationPageOrASpecificRefusalAndChangesNoSecret() {
        SlackUserConnection c = create("fuzz-start", spec("chat:write"));
        String link = awaitAuthorizeUrl(c);
        String genuine = link.substring(link.indexOf("c=") + 2);
        URI authorize = new Browser().followUntil(link, OperatorProfile.BASE + "/oauth/v2/authorize");
        String state = query(authorize, "state");
        StateCodec codec = new StateCodec(stateKey(), Clock.systemUTC());
        StateCodec past = new StateCodec(stateKey(), Clock.fixed(Instant.now().minus(Duration.ofDays(30)),
                ZoneOffset.UTC));
        String uid = get(c).getMetadata().getUid();
        List<String> refusedLinks = List.of(state, codec.signLink(ns, "no-such-connection", uid, 0, Duration.ofHours(1)),
                codec.signLink(ns, "fuzz-start", "another-uid", 0, Duration.ofHours(1)),
                codec.signLink("no-such-namespace", "fuzz-start", uid, 0, Duration.ofHours(1)),
                past.signLink(ns, "fuzz-start", uid, 0, Duration.ofDays(7)));
        Map<String, String> before = settledSecrets();

        Fuzz.forAll("start", START_CASES, rnd -> {
            List<String> params = new ArrayList<>();
            int n = rnd.nextInt(8) == 0 ? 2 + rnd.nextInt(2) : 1;
            for (int i = 0; i < n; i++) {
                String value = switch (rnd.nextInt(9)) {
                    case 0, 1 -> genuine;
                    case 2, 3 -> Fuzz.mutate(rnd, genuine);
                    case 4 -> Fuzz.oneOf(rnd, refusedLinks);
                    case 5 -> Fuzz.text(rnd, 300);
                    case 6 -> Fuzz.base64Garbage(rnd);
                    case 7 -> Fuzz.jsonishSigned(rnd);
                    default -> rnd.nextBoolean() ? "" : Fuzz.huge(rnd);
                };
                params.add(rnd.nextInt(12) == 0 ? null : value);
            }
            // the endpoint reads the first c
            boolean firstIsGenuine = params.stream().filter(v -> v != null).findFirst().map(genuine::equals)
                    .orElse(false);
            StringBuilder query = new StringBuilder();
            params.forEach(v -> query.append(query.length() == 0 ? "" : "&").append(v == null ? "other=1"
                    : "c=" + enc(v)));
            return new Request(query.toString(), cookies(rnd, List.of(), null), false, firstIsGenuine,
                    String.join(" ", params.stream().map(String::valueOf).toList()));
        }, req -> {
            Answer answer = send(withCookies(HttpRequest.newBuilder(uri("/oauth/start?" + req.query())),
                    req.cookies()));
            boolean tooLarge = answer.status() == 414 || answer.status() == 431;
            // a genuine link answers the confirmation page (only its button goes on to Slack)
            check("start " + req, answer, req.genuineState() && !tooLarge ? Set.of(200) : REFUSED_START, req.sent());
        });

        assertSecretsUnchanged(before);
        assertNoTokenInEventsOrStatus();
    }

    // ------------------------------------------------------------------ generation

    private Request callbackRequest(SplittableRandom rnd, List<Flow> flows, Flow consumed, String linkAsState) {
        Flow target = Fuzz.oneOf(rnd, flows);
        boolean raw = rnd.nextInt(8) == 0;
        String state = switch (rnd.nextInt(15)) {
            case 0, 1, 11, 12, 13, 14 -> target.state();
            case 2 -> consumed.state();
            case 3, 4 -> Fuzz.mutate(rnd, target.state());
            case 5 -> Fuzz.text(rnd, 200);
            case 6 -> Fuzz.base64Garbage(rnd);
            case 7 -> Fuzz.jsonishSigned(rnd);
            case 8 -> linkAsState;
            case 9 -> rnd.nextBoolean() ? Fuzz.huge(rnd) : "";
            default -> null;
        };
        String code = switch (rnd.nextInt(9)) {
            case 0 -> target.code();
            case 1, 2, 3 -> Fuzz.mutate(rnd, target.code());
            case 4, 5 -> Fuzz.text(rnd, 100);
            case 6 -> rnd.nextInt(3) == 0 ? Fuzz.huge(rnd) : "";
            default -> null;
        };
        String error = switch (rnd.nextInt(8)) {
            case 0 -> "access_denied";
            case 1 -> Fuzz.text(rnd, 100);
            case 2 -> Fuzz.oneOf(rnd, "invalid_scope", "bad_redirect_uri", "server_error", "");
            default -> null;
        };
        String description = rnd.nextInt(5) == 0 ? Fuzz.text(rnd, 300) : null;
        List<String> cookies = cookies(rnd, flows, target);
        List<String> params = new ArrayList<>();
        if (raw) {
            // an invalid escape after the value: the decoded state is never the issued one
            state = state == null ? null : rawSafe(state) + Fuzz.oneOf(rnd, BAD_ESCAPES);
        }
        add(params, "state", state, raw);
        add(params, "code", code, raw);
        add(params, "error", error, raw);
        add(params, "error_description", description, raw);
        if (rnd.nextInt(5) == 0) {
            // duplicated parameters, before or after the first ones
            String dup = Fuzz.oneOf(rnd, "state", "code", "error");
            String value = Fuzz.oneOf(rnd, Fuzz.text(rnd, 30), target.state(), target.code());
            params.add(rnd.nextInt(params.size() + 1), dup + "=" + (raw ? rawSafe(value) : enc(value)));
        }
        // what the endpoint reads: the first value of each parameter
        String readState = first(params, "state");
        String readCode = first(params, "code");
        boolean genuineState = readState != null && (readState.equals(consumed.state())
                || flows.stream().anyMatch(f -> f.state().equals(readState)));
        boolean genuineCookie = cookies.stream().anyMatch(c -> flows.stream()
                .anyMatch(f -> c.contains(OAuthResource.COOKIE + "=" + f.cookie())));
        String readError = first(params, "error");
        if (genuineState && genuineCookie && (readError == null || readError.isEmpty()) && readCode != null
                && flows.stream().anyMatch(f -> f.code().equals(readCode))) {
            // a genuine state, cookie and code (an empty error is no error) are a real consent, rightly stored
            return callbackRequest(rnd, flows, consumed, linkAsState);
        }
        String sent = String.join(" ", String.valueOf(state), String.valueOf(code), String.valueOf(error),
                String.valueOf(description), String.join(" ", params));
        return new Request(String.join("&", params), cookies, raw, genuineState, sent);
    }

    /** Cookie headers: none, genuine, another flow's, mutated, random, duplicated, huge, with other cookies. */
    private static List<String> cookies(SplittableRandom rnd, List<Flow> flows, Flow target) {
        List<String> headers = new ArrayList<>();
        int n = rnd.nextInt(4) == 0 ? 0 : 1 + (rnd.nextInt(6) == 0 ? 1 : 0);
        for (int i = 0; i < n; i++) {
            List<String> pairs = new ArrayList<>();
            int m = 1 + rnd.nextInt(3);
            for (int j = 0; j < m; j++) {
                String value = switch (target == null ? 3 + rnd.nextInt(3) : rnd.nextInt(8)) {
                    case 0, 6, 7 -> target.cookie();
                    case 1 -> Fuzz.oneOf(rnd, flows).cookie();
                    case 2 -> Fuzz.mutate(rnd, target.cookie()).replaceAll("[^\\x21-\\x7e]", "");
                    case 3 -> Fuzz.printable(rnd, 60);
                    case 4 -> rnd.nextInt(10) == 0 ? "A".repeat(30_000) : "\"" + Fuzz.printable(rnd, 20);
                    default -> "";
                };
                String name = rnd.nextInt(3) == 0 ? Fuzz.oneOf(rnd, "session", "a", "$Version", "Path",
                        OAuthResource.COOKIE.toUpperCase()) : OAuthResource.COOKIE;
                pairs.add(rnd.nextInt(15) == 0 ? value : name + "=" + value);
            }
            headers.add(String.join(Fuzz.oneOf(rnd, "; ", ";", ", ", ";;"), pairs));
        }
        return headers;
    }

    private static Flow flow(Browser browser, URI callback) {
        String cookie = browser.cookies.getCookieStore().getCookies().stream()
                .filter(k -> k.getName().equals(OAuthResource.COOKIE)).reduce((a, b) -> b).orElseThrow().getValue();
        return new Flow(query(callback, "state"), query(callback, "code"), cookie);
    }

    /** The decoded first value of a parameter; null if absent or not decodable. */
    private static String first(List<String> params, String name) {
        for (String p : params) {
            if (p.startsWith(name + "=")) {
                try {
                    return java.net.URLDecoder.decode(p.substring(name.length() + 1), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    return null;
                }
            }
        }
        return null;
    }

    private static void add(List<String> params, String name, String value, boolean raw) {
        if (value != null) {
            params.add(name + "=" + (raw ? rawSafe(value) : enc(value)));
        }
    }

    private static HttpRequest.Builder withCookies(HttpRequest.Builder request, List<String> cookies) {
        cookies.forEach(c -> request.header("Cookie", c));
        return request.GET();
    }

    private static String cookieLines(List<String> cookies) {
        StringBuilder out = new StringBuilder();
        cookies.forEach(c -> out.append("\r\nCookie: ").append(c));
        return out.toString();
    }

    /** Characters a request line can carry as they are (no space, no control); the rest are percent-encoded. */
    private static String rawSafe(String s) {
        StringBuilder out = new StringBuilder();
        for (char ch : s.toCharArray()) {
            out.append(ch > 0x20 && ch < 0x7f && ch != '#' && ch != '&' ? String.valueOf(ch) : enc(String.valueOf(ch)));
        }
        return out.toString();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
