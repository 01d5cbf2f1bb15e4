package dev.slacktokens.operator.oauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;

import jakarta.ws.rs.core.NewCookie;

import org.junit.jupiter.api.Test;

/** The flow cookie must reach the callback however the public URL is laid out. */
class FlowCookieTest {

    @Test
    void overPlainHttpTheCookiePathFollowsThePublicUrlsPath() {
        assertThat(OAuthResource.flowCookie(URI.create("http://localhost:8080"), "v", 600).getPath())
                .isEqualTo("/oauth");
        assertThat(OAuthResource.flowCookie(URI.create("http://localhost:8080/"), "v", 600).getPath())
                .isEqualTo("/oauth");
        assertThat(OAuthResource.flowCookie(URI.create("http://localhost/platform/slack-tokens"), "v", 600)
                .getPath()).isEqualTo("/platform/slack-tokens/oauth");
        assertThat(OAuthResource.flowCookie(URI.create("http://localhost/slack-tokens/"), "v", 600).getPath())
                .isEqualTo("/slack-tokens/oauth");
    }

    /**
     * Defect 8 of issue 18: the flow cookie had no {@code __Host-} prefix, so a host under the same registrable
     * domain could set one (Domain=the parent, a longer path) and bind a victim's consent to an attacker's connection.
     */
    @Test
    void behindHttpsTheCookieIsAHostCookie() {
        for (String url : new String[] { "https://tokens.example.com", "https://example.com/platform/slack-tokens/" }) {
            NewCookie tls = OAuthResource.flowCookie(URI.create(url), "v", 600);
            assertThat(tls.getName()).isEqualTo("__Host-slacktokens_oauth");
            assertThat(tls.getPath()).as("__Host- requires Path=/").isEqualTo("/");
            assertThat(tls.getDomain()).as("__Host- forbids Domain").isNull();
            assertThat(tls.isSecure()).isTrue();
            assertThat(tls.isHttpOnly()).isTrue();
            assertThat(tls.getSameSite()).isEqualTo(NewCookie.SameSite.LAX);
        }
    }

    @Test
    void behindHttpsACookieWithoutThePrefixDoesNotCount() {
        URI tls = URI.create("https://tokens.example.com");
        assertThat(OAuthResource.flowCookieValue(tls, null, "planted")).as("a sibling host's cookie").isNull();
        assertThat(OAuthResource.flowCookieValue(tls, "mine", "planted")).isEqualTo("mine");
        URI local = URI.create("http://localhost:8080");
        assertThat(OAuthResource.flowCookieValue(local, null, "mine")).isEqualTo("mine");
        assertThat(OAuthResource.flowCookie(local, "v", 600).isSecure()).isFalse();
    }
}
