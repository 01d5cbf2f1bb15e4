package dev.slacktokens.operator.oauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;

import jakarta.ws.rs.core.NewCookie;

import org.junit.jupiter.api.Test;

/** The flow cookie must reach the callback however the public URL is laid out. */
class FlowCookieTest {

    @Test
    void theCookiePathFollowsThePublicUrlsPath() {
        assertThat(OAuthResource.flowCookie(URI.create("https://tokens.example.com"), "v", 600).getPath())
                .isEqualTo("/oauth");
        assertThat(OAuthResource.flowCookie(URI.create("https://tokens.example.com/"), "v", 600).getPath())
                .isEqualTo("/oauth");
        assertThat(OAuthResource.flowCookie(URI.create("https://example.com/platform/slack-tokens"), "v", 600)
                .getPath()).isEqualTo("/platform/slack-tokens/oauth");
        assertThat(OAuthResource.flowCookie(URI.create("https://example.com/slack-tokens/"), "v", 600).getPath())
                .isEqualTo("/slack-tokens/oauth");
    }

    @Test
    void theCookieIsHttpOnlyLaxAndSecureUnlessThePublicUrlIsPlainHttp() {
        NewCookie tls = OAuthResource.flowCookie(URI.create("https://example.com/x"), "v", 600);
        assertThat(tls.isHttpOnly()).isTrue();
        assertThat(tls.isSecure()).isTrue();
        assertThat(tls.getSameSite()).isEqualTo(NewCookie.SameSite.LAX);
        assertThat(OAuthResource.flowCookie(URI.create("http://localhost:8080"), "v", 600).isSecure()).isFalse();
    }
}
