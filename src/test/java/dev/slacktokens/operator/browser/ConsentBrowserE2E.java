package dev.slacktokens.operator.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnectionSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/**
 * The consent pages in a real browser (Debian's Chromium, driven through WebDriver), on a real API server with the
 * operator and the Slack simulator, as e2e/consent-browser.sh starts them: the operator behind https at
 * {@code ops.example.test} (the browser maps {@code *.example.test} to the loopback address), the simulator at
 * {@code localhost}. JavaScript is off in this browser: every page must work without it.
 * <p>
 * Besides the flow and the refusal pages, it proves what only a browser enforces: a form on another site that POSTs
 * to the confirmation endpoint does not carry the SameSite flow cookie; the pages cannot be framed by another origin;
 * the flow cookie has the {@code __Host-} prefix and its attributes; a cookie planted by a sibling host under the same
 * domain does not bind a flow. Its own web server plays the other site ({@code 127.0.0.1}) and the sibling host
 * ({@code https://sib.example.test}).
 * <p>
 * Not part of {@code mvn verify} (the name ends in E2E); e2e/consent-browser.sh runs it with the system properties
 * below and writes the screenshots of docs/consent-pages.md.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsentBrowserE2E {

    private static final String OPERATOR = System.getProperty("browser.operator", "https://ops.example.test:8443");
    private static final String SIMULATOR = System.getProperty("browser.simulator", "http://localhost:8089");
    private static final String NAMESPACE = System.getProperty("browser.namespace", "payments");
    private static final Path KUBECONFIG = Path.of(System.getProperty("browser.kubeconfig",
            System.getenv().getOrDefault("KUBECONFIG", "kubeconfig")));
    private static final Path SCREENSHOTS = Path.of(System.getProperty("browser.screenshots", "target/screenshots"));
    private static final Path KEYSTORE = Path.of(System.getProperty("browser.keystore", "target/sib.p12"));
    private static final Duration LINK_VALIDITY = Duration.parse("PT" + System.getProperty("browser.linkValidity",
            "60S"));
    private static final String HOST_COOKIE = "__Host-slacktokens_oauth";
    private static final String PLAIN_COOKIE = "slacktokens_oauth";

    private static KubernetesClient client;
    private static ChromeDriver browser;
    private static HttpServer otherSite;
    private static HttpsServer sibling;
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();
    /** A link taken first thing, opened last, once it has expired. */
    private static String earlyLink;
    private static Instant earlyLinkTaken;

    @BeforeAll
    static void start() throws Exception {
        client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(Files.readString(KUBECONFIG)))
                .build();
        otherSite = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        otherSite.createContext("/", ConsentBrowserE2E::otherSitePage);
        otherSite.start();
        sibling = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        sibling.setHttpsConfigurator(new HttpsConfigurator(sslContext()));
        sibling.createContext("/", ConsentBrowserE2E::siblingPage);
        sibling.start();

        ChromeOptions options = new ChromeOptions();
        options.setBinary(System.getProperty("browser.chromium", "/usr/bin/chromium"));
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=900,900", "--force-device-scale-factor=1", "--hide-scrollbars", "--lang=en-US",
                "--host-resolver-rules=MAP *.example.test 127.0.0.1",
                // plain http stays plain http (the other site is http://127.0.0.1): no automatic upgrade to https
                "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable",
                "--user-data-dir=" + Files.createTempDirectory("consent-browser"));
        // the operator's certificate is self-signed for this test
        options.setAcceptInsecureCerts(true);
        // no JavaScript on any page: the consent must work without it
        options.setExperimentalOption("prefs", Map.of("profile.managed_default_content_settings.javascript", 2));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of(System.getProperty("browser.driver", "/usr/bin/chromedriver")).toFile())
                .build();
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
        Files.createDirectories(SCREENSHOTS);

        earlyLink = authorizeUrl(connection("expiring", null));
        earlyLinkTaken = Instant.now();
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (otherSite != null) {
            otherSite.stop(0);
        }
        if (sibling != null) {
            sibling.stop(0);
        }
        if (client != null) {
            client.close();
        }
    }

    @BeforeEach
    void freshBrowser() {
        browser.executeCdpCommand("Network.clearBrowserCookies", Map.of());
    }

    // ------------------------------------------------------------------ the consent, as a Slack user sees it

    @Test
    @Order(1)
    void theWholeConsentInABrowserWithoutJavaScript() throws Exception {
        // this browser runs no script: a page of the other site that sets its title from a script keeps its own
        browser.get(otherSite("/script"));
        assertThat(browser.getTitle()).as("JavaScript is off in this browser").isEqualTo("no script ran");

        String link = authorizeUrl(connection("report-poster", null));
        browser.get(link);
        assertThat(browser.getTitle()).isEqualTo("Connect Slack to " + NAMESPACE + "/report-poster?");
        String page = text();
        assertThat(page).contains("Deploy Bot").doesNotContain("1111.2222")
                .contains("chat:write: Send messages as you")
                .contains("channels:read: View basic information about public channels in the workspace")
                .contains("Secret report-poster in Kubernetes namespace " + NAMESPACE);
        assertThat(browser.findElement(By.tagName("html")).getDomAttribute("lang")).isEqualTo("en");
        WebElement button = browser.findElement(By.cssSelector("form button[type=submit]"));
        assertThat(button.getAccessibleName()).isEqualTo("Continue to Slack");
        assertThat(contrast(browser.findElement(By.tagName("body")))).as("body text contrast").isGreaterThan(7.0);
        assertThat(contrast(browser.findElement(By.tagName("code")))).as("scope name contrast").isGreaterThan(7.0);
        screenshot("1-confirmation");

        button.click();
        // the simulator's consent answers at once; the callback's page is the last one
        await().atMost(Duration.ofSeconds(30)).until(() -> browser.getTitle().equals("Connected"));
        assertThat(browser.getCurrentUrl()).startsWith(OPERATOR + "/oauth/callback");
        assertThat(text()).contains("U0SIM0001").contains(NAMESPACE + "/report-poster")
                .contains("Secret " + NAMESPACE + "/report-poster");
        screenshot("2-connected");
        Secret workload = await().atMost(Duration.ofSeconds(30))
                .until(() -> client.secrets().inNamespace(NAMESPACE).withName("report-poster").get(),
                        s -> s != null && s.getData() != null && s.getData().containsKey("access_token"));
        assertThat(workload.getData()).containsKey("expires_at");

        // the same link again: used, and the page says what the Slack user does apart from what the owner runs
        browser.get(link);
        assertThat(browser.getTitle()).isEqualTo("Link already used");
        String used = text();
        assertThat(used).contains("What you can do").contains("If you own this connection")
                .contains("kubectl get suc report-poster -n " + NAMESPACE);
        assertThat(used.substring(used.indexOf("What you can do"), used.indexOf("If you own this connection")))
                .contains("ask the connection's owner for a new link").doesNotContain("kubectl");
        screenshot("refusal-link-used");
    }

    @Test
    @Order(2)
    void theFlowCookieHasTheHostPrefixAndItsAttributes() {
        String link = authorizeUrl(connection("cookie-check", null));
        browser.get(link);
        assertThat(browser.manage().getCookieNamed(PLAIN_COOKIE)).as("no unprefixed cookie behind https").isNull();
        Cookie cookie = browser.manage().getCookieNamed(HOST_COOKIE);
        assertThat(cookie).as("the __Host- flow cookie").isNotNull();
        assertThat(cookie.isSecure()).isTrue();
        assertThat(cookie.isHttpOnly()).isTrue();
        assertThat(cookie.getPath()).isEqualTo("/");
        assertThat(cookie.getSameSite()).isEqualTo("Lax");
        // host-only: no Domain attribute, so the browser keeps it for this very host (no leading dot)
        assertThat(cookie.getDomain()).isEqualTo(URI.create(OPERATOR).getHost());
        assertThat(cookie.getExpiry().toInstant()).isBetween(Instant.now().plusSeconds(540),
                Instant.now().plusSeconds(660));
    }

    // ------------------------------------------------------------------ what only a browser enforces

    @Test
    @Order(3)
    void aFormOnAnotherSiteCannotPressTheButton() throws Exception {
        String link = authorizeUrl(connection("cross-site", null));
        String state = confirmationState(link);
        String codes = simStat("codes_issued");

        // The other site's page holds a form with this very state, posting to the confirmation endpoint. The browser
        // has the flow cookie, but does not send a SameSite=Lax cookie with a cross-site POST.
        browser.get(otherSite("/post?action=" + enc(OPERATOR + "/oauth/start") + "&state=" + enc(state)));
        assertThat(browser.getTitle()).isEqualTo("A page on another site");
        browser.findElement(By.cssSelector("form button")).click();
        await().atMost(Duration.ofSeconds(15)).until(() -> browser.getCurrentUrl().startsWith(OPERATOR));
        assertThat(browser.getTitle()).isEqualTo("Start again in this browser");
        assertThat(text()).contains("no flow cookie");
        assertThat(simStat("codes_issued")).as("Slack's consent was never reached").isEqualTo(codes);

        // The same state from the page itself goes on (the cookie is there: it is the cross-site POST that lacks it).
        browser.get(link);
        browser.findElement(By.cssSelector("form button[type=submit]")).click();
        await().atMost(Duration.ofSeconds(30)).until(() -> browser.getTitle().equals("Connected"));
    }

    @Test
    @Order(4)
    void thePagesCannotBeFramedByAnotherOrigin() {
        String link = authorizeUrl(connection("framed", null));
        browser.get(otherSite("/frame?src=" + enc(link)));
        assertThat(browser.getTitle()).isEqualTo("A page on another site");
        // the control: a frame of the other site's own page renders
        browser.switchTo().frame("control");
        assertThat(browser.findElement(By.tagName("body")).getText()).contains("a frameable page");
        browser.switchTo().defaultContent();
        browser.switchTo().frame("target");
        assertThat(browser.getPageSource()).as("the confirmation page inside a foreign frame")
                .doesNotContain("Continue to Slack").doesNotContain("Connect Slack to");
        assertThat(browser.findElements(By.cssSelector("form button"))).isEmpty();
        browser.switchTo().defaultContent();
    }

    @Test
    @Order(5)
    void aCookiePlantedByASiblingHostDoesNotBindTheFlow() throws Exception {
        // The attacker: opens a link of their own in their browser (the flow cookie's value and the form's state),
        // consents at Slack themselves and keeps the callback URL instead of following it.
        String state = confirmationState(authorizeUrl(connection("planted", null)));
        String value = browser.manage().getCookieNamed(HOST_COOKIE).getValue();
        HttpResponse<String> consent = HTTP.send(HttpRequest.newBuilder(URI.create(SIMULATOR
                + "/oauth/v2/authorize?client_id=1111.2222&user_scope=chat:write&redirect_uri="
                + enc(OPERATOR + "/oauth/callback") + "&state=" + enc(state))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(consent.statusCode()).as(consent.body()).isEqualTo(302);
        String callback = consent.headers().firstValue("Location").orElseThrow();
        assertThat(callback).startsWith(OPERATOR + "/oauth/callback?code=");

        // The victim's browser: a sibling host under the same domain plants the attacker's value, under the plain
        // name (Domain=example.test: the browser takes it) and under the __Host- name (the browser refuses it).
        browser.executeCdpCommand("Network.clearBrowserCookies", Map.of());
        browser.get(sibling("/plant?value=" + enc(value)));
        assertThat(browser.getTitle()).isEqualTo("A sibling host");
        browser.get(callback);
        Set<String> sent = browser.manage().getCookies().stream().map(Cookie::getName).collect(Collectors.toSet());
        assertThat(sent).as("cookies the browser holds for the operator's host").contains(PLAIN_COOKIE)
                .doesNotContain(HOST_COOKIE);
        assertThat(browser.getTitle()).isEqualTo("Start again in this browser");
        assertThat(client.secrets().inNamespace(NAMESPACE).withName("planted").get()).as("nothing stored").isNull();

        // The control: the same value set by the operator's host itself under the __Host- name binds the flow, so
        // what refused the planted cookie above is the prefix rule alone.
        browser.manage().addCookie(new Cookie.Builder(HOST_COOKIE, value).path("/").isSecure(true).isHttpOnly(true)
                .sameSite("Lax").build());
        browser.get(callback);
        assertThat(browser.getTitle()).isEqualTo("Connected");
    }

    // ------------------------------------------------------------------ refusal pages

    @Test
    @Order(6)
    void withoutTheFlowCookieTheButtonIsRefused() throws IOException {
        browser.get(authorizeUrl(connection("no-cookie", null)));
        browser.executeCdpCommand("Network.clearBrowserCookies", Map.of());
        browser.findElement(By.cssSelector("form button[type=submit]")).click();
        await().atMost(Duration.ofSeconds(15)).until(() -> browser.getTitle().equals("Start again in this browser"));
        assertThat(text()).contains("no flow cookie").contains("Open the link you were given again, in this browser");
        screenshot("refusal-other-browser");
    }

    @Test
    @Order(7)
    void aConsentByAnotherSlackUserIsRefused() throws Exception {
        sim("/_sim/users", "{\"id\":\"U0SIM0002\",\"teamId\":\"T0SIM0001\",\"name\":\"mallory\"}");
        sim("/_sim/consent", "{\"userId\":\"U0SIM0002\"}");
        browser.get(authorizeUrl(connection("alice-only", "U0SIM0001")));
        assertThat(text()).contains("U0SIM0001 only");
        browser.findElement(By.cssSelector("form button[type=submit]")).click();
        await().atMost(Duration.ofSeconds(30)).until(() -> browser.getTitle().equals("Wrong Slack identity"));
        assertThat(text()).contains("sign in to Slack with the one the connection expects")
                .contains("spec.user and spec.team say who may consent");
        screenshot("refusal-wrong-identity");
    }

    @Test
    @Order(8)
    void anExpiredLinkIsRefused() throws Exception {
        Duration left = Duration.between(Instant.now(), earlyLinkTaken.plus(LINK_VALIDITY).plusSeconds(2));
        if (!left.isNegative()) {
            Thread.sleep(left.toMillis());
        }
        browser.get(earlyLink);
        assertThat(browser.getTitle()).isEqualTo("Link expired");
        assertThat(text()).contains("Ask the connection's owner for a new link")
                .contains("kubectl get suc NAME -n NAMESPACE -o jsonpath='{.status.authorizeUrl}'");
        screenshot("refusal-link-expired");
    }

    // ------------------------------------------------------------------ helpers

    private static SlackUserConnection connection(String name, String user) {
        SlackUserConnectionSpec spec = new SlackUserConnectionSpec();
        spec.setUserScopes(List.of("chat:write", "channels:read"));
        spec.setUser(user);
        SlackUserConnection c = new SlackUserConnection();
        c.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NAMESPACE).build());
        c.setSpec(spec);
        return client.resources(SlackUserConnection.class).inNamespace(NAMESPACE).resource(c).create();
    }

    private static String authorizeUrl(SlackUserConnection c) {
        return await().atMost(Duration.ofSeconds(30)).until(() -> {
            SlackUserConnection live = client.resources(SlackUserConnection.class).inNamespace(NAMESPACE)
                    .withName(c.getMetadata().getName()).get();
            return live == null || live.getStatus() == null ? null : live.getStatus().getAuthorizeUrl();
        }, url -> url != null && url.startsWith(OPERATOR + "/oauth/start?c="));
    }

    /** Opens the link's confirmation page (the flow cookie is set) and returns the state its form would POST. */
    private static String confirmationState(String link) {
        browser.get(link);
        return browser.findElement(By.name("state")).getDomAttribute("value");
    }

    private static String text() {
        return browser.findElement(By.tagName("body")).getText();
    }

    private static void screenshot(String name) throws IOException {
        Files.write(SCREENSHOTS.resolve(name + ".png"), browser.getScreenshotAs(OutputType.BYTES));
    }

    /** WCAG contrast ratio of an element's text color against its (or the page's) background. */
    private static double contrast(WebElement element) {
        double fg = luminance(element.getCssValue("color"));
        String bgValue = element.getCssValue("background-color");
        double bg = luminance(bgValue.endsWith(", 0)") ? browser.findElement(By.tagName("body"))
                .getCssValue("background-color") : bgValue);
        return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    }

    private static double luminance(String rgba) {
        String[] parts = rgba.replaceAll("[^0-9.,]", "").split(",");
        double[] c = new double[3];
        for (int i = 0; i < 3; i++) {
            double v = Double.parseDouble(parts[i]) / 255;
            c[i] = v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
        }
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    }

    private static String simStat(String name) throws IOException, InterruptedException {
        String body = HTTP.send(HttpRequest.newBuilder(URI.create(SIMULATOR + "/_sim/stats")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        var m = java.util.regex.Pattern.compile("\"" + name + "\"\\s*:\\s*(\\d+)").matcher(body);
        return m.find() ? m.group(1) : "0";
    }

    private static void sim(String path, String json) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(SIMULATOR + path))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String otherSite(String path) {
        return "http://127.0.0.1:" + otherSite.getAddress().getPort() + path;
    }

    private static String sibling(String path) {
        return "https://sib.example.test:" + sibling.getAddress().getPort() + path;
    }

    private static Map<String, String> query(HttpExchange exchange) {
        Map<String, String> query = new LinkedHashMap<>();
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw != null) {
            for (String kv : raw.split("&")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    query.put(kv.substring(0, eq), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return query;
    }

    /** The other site (http://127.0.0.1): a form posting elsewhere, frames, a page with a script. */
    private static void otherSitePage(HttpExchange exchange) throws IOException {
        Map<String, String> q = query(exchange);
        String body = switch (exchange.getRequestURI().getPath()) {
            case "/post" -> "<title>A page on another site</title><form method=\"post\" action=\"" + attr(q.get("action"))
                    + "\"><input type=\"hidden\" name=\"state\" value=\"" + attr(q.get("state"))
                    + "\"><button type=\"submit\">Win a prize</button></form>";
            case "/frame" -> "<title>A page on another site</title><iframe name=\"target\" src=\"" + attr(q.get("src"))
                    + "\" width=\"600\" height=\"400\"></iframe><iframe name=\"control\" src=\"/frameable\"></iframe>";
            case "/frameable" -> "<title>frameable</title><p>a frameable page</p>";
            case "/script" -> "<title>no script ran</title><script>document.title = 'a script ran';</script>";
            default -> "<title>other site</title>";
        };
        answer(exchange, body, Map.of());
    }

    /** The sibling host (https://sib.example.test): sets cookies for the whole example.test domain. */
    private static void siblingPage(HttpExchange exchange) throws IOException {
        String value = query(exchange).getOrDefault("value", "x");
        answer(exchange, "<title>A sibling host</title><p>planted</p>", Map.of("Set-Cookie", List.of(
                PLAIN_COOKIE + "=" + value + "; Domain=example.test; Path=/; Secure; SameSite=Lax",
                HOST_COOKIE + "=" + value + "; Domain=example.test; Path=/; Secure; SameSite=Lax")));
    }

    private static void answer(HttpExchange exchange, String html, Map<String, List<String>> headers)
            throws IOException {
        byte[] bytes = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">" + html + "</html>")
                .getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
        headers.forEach((k, v) -> exchange.getResponseHeaders().put(k, v));
        exchange.sendResponseHeaders(200, bytes.length);
        try (var out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String attr(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("\"", "&quot;").replace("<", "&lt;");
    }

    private static SSLContext sslContext() throws Exception {
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(KEYSTORE)) {
            keyStore.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keyStore, "changeit".toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        return context;
    }
}
