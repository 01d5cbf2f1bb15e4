package dev.slacktokens.operator.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A browser for OAuth tests: keeps cookies and follows redirects one hop at a time, remembering each URL. */
public class Browser {

    public final CookieManager cookies = new CookieManager();
    private final HttpClient http = HttpClient.newBuilder().cookieHandler(cookies)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
    public final List<URI> visited = new ArrayList<>();

    /** GETs one URL without following redirects. */
    public HttpResponse<String> get(URI uri) {
        visited.add(uri);
        try {
            return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** GETs a URL and follows redirects until a page is answered. */
    public HttpResponse<String> open(String url) {
        URI uri = URI.create(url);
        for (int hop = 0; hop < 10; hop++) {
            HttpResponse<String> response = get(uri);
            if (response.statusCode() / 100 != 3) {
                return response;
            }
            uri = uri.resolve(response.headers().firstValue("Location").orElseThrow());
        }
        throw new IllegalStateException("too many redirects");
    }

    /** Follows redirects from {@code url} but stops before the URL that starts with {@code prefix}. */
    public URI followUntil(String url, String prefix) {
        URI uri = URI.create(url);
        for (int hop = 0; hop < 10; hop++) {
            if (uri.toString().startsWith(prefix)) {
                return uri;
            }
            HttpResponse<String> response = get(uri);
            if (response.statusCode() / 100 != 3) {
                throw new IllegalStateException("no redirect to " + prefix + ": " + response.statusCode() + " "
                        + response.body());
            }
            uri = uri.resolve(response.headers().firstValue("Location").orElseThrow());
        }
        throw new IllegalStateException("too many redirects");
    }
}
