package dev.slacktokens.operator.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A browser for OAuth tests: keeps cookies and follows redirects one hop at a time, remembering each URL. It
 * presses the button of the operator's confirmation page the way a person would (a POST of that form).
 */
public class Browser {

    private static final Pattern FORM = Pattern.compile("<form method=\"post\" action=\"([^\"]*)\"");
    private static final Pattern HIDDEN = Pattern.compile(
            "<input type=\"hidden\" name=\"([^\"]*)\" value=\"([^\"]*)\"");

    public final CookieManager cookies = new CookieManager();
    private final HttpClient http = HttpClient.newBuilder().cookieHandler(cookies)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
    public final List<URI> visited = new ArrayList<>();

    /** GETs one URL without following redirects. */
    public HttpResponse<String> get(URI uri) {
        visited.add(uri);
        return send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20)).GET().build());
    }

    /** POSTs a form to one URL without following redirects. */
    public HttpResponse<String> post(URI uri, Map<String, String> form) {
        visited.add(uri);
        String body = form.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
        return send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** GETs a URL and follows redirects until a page is answered (without pressing any button). */
    public HttpResponse<String> open(String url) {
        return follow(URI.create(url), get(URI.create(url)), null).page();
    }

    /**
     * Opens an authorize link, presses the confirmation page's button, and follows Slack's consent to the page the
     * operator answers at the end.
     */
    public HttpResponse<String> authorize(String link) {
        return pressConfirmation(link, null).page();
    }

    /** Like {@link #authorize} but stops before the URL that starts with {@code prefix} and returns it. */
    public URI followUntil(String link, String prefix) {
        Hop end = pressConfirmation(link, prefix);
        if (end.stoppedAt() == null) {
            throw new IllegalStateException("no redirect to " + prefix + ": " + end.page().statusCode() + " "
                    + end.page().body());
        }
        return end.stoppedAt();
    }

    /** Opens the link, presses the confirmation page's button if there is one, and follows what comes. */
    private Hop pressConfirmation(String link, String stopPrefix) {
        URI uri = URI.create(link);
        HttpResponse<String> response = get(uri);
        Optional<URI> action = form(response).map(uri::resolve);
        if (action.isPresent()) {
            uri = action.get();
            response = post(uri, hidden(response));
        }
        return follow(uri, response, stopPrefix);
    }

    /** The action of the confirmation page's form, if the page has one. */
    public static Optional<String> form(HttpResponse<String> page) {
        Matcher m = FORM.matcher(page.body());
        return page.statusCode() == 200 && m.find() ? Optional.of(unescape(m.group(1))) : Optional.empty();
    }

    /** The hidden fields of the confirmation page's form. */
    public static Map<String, String> hidden(HttpResponse<String> page) {
        Map<String, String> fields = new LinkedHashMap<>();
        Matcher m = HIDDEN.matcher(page.body());
        while (m.find()) {
            fields.put(unescape(m.group(1)), unescape(m.group(2)));
        }
        return fields;
    }

    private record Hop(HttpResponse<String> page, URI stoppedAt) {
    }

    private Hop follow(URI uri, HttpResponse<String> response, String prefix) {
        for (int hop = 0; hop < 10; hop++) {
            if (response.statusCode() / 100 != 3) {
                return new Hop(response, null);
            }
            uri = uri.resolve(response.headers().firstValue("Location").orElseThrow());
            if (prefix != null && uri.toString().startsWith(prefix)) {
                return new Hop(response, uri);
            }
            response = get(uri);
        }
        throw new IllegalStateException("too many redirects");
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String unescape(String s) {
        return s.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">")
                .replace("&amp;", "&");
    }
}
