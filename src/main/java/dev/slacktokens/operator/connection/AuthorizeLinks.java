package dev.slacktokens.operator.connection;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.config.OperatorConfig;

/**
 * The link published in {@code status.authorizeUrl}: {@code <publicUrl>/oauth/start?c=<signed link>}, bound to the
 * connection's uid and to its next authorization (the token store's authorization count), valid for
 * {@code slack-operator.authorize-link-validity}; re-signed when half of it is used or an authorization used it.
 */
@ApplicationScoped
public class AuthorizeLinks {

    @Inject
    StateKeys keys;
    @Inject
    OperatorConfig config;
    @Inject
    Clock clock;

    public URI publicUrl() {
        return config.publicUrl().orElseThrow(() -> new IllegalStateException(
                "slack-operator.public-url is not set: the operator cannot publish authorize links"));
    }

    /** The default redirect URI: {@code <publicUrl>/oauth/callback}. */
    public String defaultRedirectUri() {
        return strip(publicUrl()) + "/oauth/callback";
    }

    public String redirectUri(SlackUserConnection connection) {
        String own = connection.getSpec().getRedirectUri();
        return own != null ? own : defaultRedirectUri();
    }

    /**
     * The current link if it is still good for a while and for the next authorization, else a freshly signed one.
     *
     * @param authorizations the token store's authorization count ({@code TokenStore.authorizations})
     */
    public String linkFor(SlackUserConnection connection, String current, long authorizations) {
        if (current != null && remaining(connection, current, authorizations)
                .map(r -> r.compareTo(halfValidity()) > 0).orElse(false)) {
            return current;
        }
        var m = connection.getMetadata();
        return strip(publicUrl()) + "/oauth/start?c=" + keys.codec().signLink(m.getNamespace(), m.getName(),
                m.getUid(), authorizations, config.authorizeLinkValidity());
    }

    /** Where the OAuth endpoints are, as the browser sees them: {@code <publicUrl>/oauth}. */
    public String oauthBase() {
        return strip(publicUrl()) + "/oauth";
    }

    /** When the reconciler should look at the link again (to re-sign it). */
    public Duration recheckAfter() {
        return halfValidity();
    }

    private Optional<Duration> remaining(SlackUserConnection connection, String link, long authorizations) {
        String prefix = strip(publicUrl()) + "/oauth/start?c=";
        if (!link.startsWith(prefix)) {
            return Optional.empty();
        }
        try {
            var claims = keys.codec().verify(link.substring(prefix.length()), StateCodec.Kind.link);
            if (!claims.uid().equals(connection.getMetadata().getUid()) || claims.generation() != authorizations) {
                return Optional.empty();
            }
            return Optional.of(Duration.between(Instant.now(clock), claims.expiresAt()));
        } catch (StateCodec.InvalidException e) {
            return Optional.empty();
        }
    }

    private Duration halfValidity() {
        return config.authorizeLinkValidity().dividedBy(2);
    }

    private static String strip(URI uri) {
        String s = uri.toString();
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
