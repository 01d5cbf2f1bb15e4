package dev.slacktokens.operator.oauth;

import java.time.Clock;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.config.OperatorConfig;
import dev.slacktokens.operator.connection.AuthorizeLinks;
import dev.slacktokens.operator.connection.EventRecorder;
import dev.slacktokens.operator.connection.StateCodec;
import dev.slacktokens.operator.grant.Grants;
import dev.slacktokens.operator.slack.AuthIdentity;
import dev.slacktokens.operator.slack.ClientCredentials;
import dev.slacktokens.operator.slack.OAuthGrant;
import dev.slacktokens.operator.slack.SlackApiException;
import dev.slacktokens.operator.slack.SlackClient;
import dev.slacktokens.operator.slack.SlackPermanentException;
import dev.slacktokens.operator.slack.SlackRateLimitedException;
import dev.slacktokens.operator.slack.SlackRef;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.store.StoreState;
import dev.slacktokens.operator.store.StoredTokens;
import dev.slacktokens.operator.store.TokenStore;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.jboss.logging.Logger;

/**
 * A consent Slack sent back, completed: the code exchanged, the identity checked against the spec and confirmed
 * with {@code auth.test}, the binding rules applied ({@link Rebinding}), the tokens stored compare-and-set, and the
 * tokens they replaced revoked. Any refusal after the exchange revokes what Slack just issued.
 */
@ApplicationScoped
class Consent {

    private static final Logger LOG = Logger.getLogger(Consent.class);

    @Inject
    KubernetesClient client;
    @Inject
    SlackClient slack;
    @Inject
    Grants grants;
    @Inject
    TokenStore store;
    @Inject
    AuthorizeLinks links;
    @Inject
    EventRecorder events;
    @Inject
    OperatorConfig config;
    @Inject
    Clock clock;

    /** What the success page says. */
    record Completed(OAuthGrant grant, AuthIdentity identity) {
    }

    /** The connection a link or state names, if it still exists as the same object. */
    SlackUserConnection connection(StateCodec.Claims claims) throws Refusal.Failure {
        SlackUserConnection connection = client.resources(SlackUserConnection.class)
                .inNamespace(claims.namespace()).withName(claims.name()).get();
        String who = claims.namespace() + "/" + claims.name();
        if (connection == null || connection.getMetadata().getDeletionTimestamp() != null) {
            throw Refusal.CONNECTION_GONE.because("SlackUserConnection " + who + " no longer exists"
                    + (connection == null ? "." : " (it is being deleted)."), "Nothing: the connection no longer "
                    + "needs a token. If you think it should, ask its owner.");
        }
        if (!claims.uid().equals(connection.getMetadata().getUid())) {
            throw Refusal.CONNECTION_RECREATED.because("SlackUserConnection " + who + " was deleted and created "
                    + "again since this link was issued.", "Ask the connection's owner for its new link.")
                    .owner("The new connection has its own link:",
                            OAuthResource.authorizeUrlCommand(claims.namespace(), claims.name()));
        }
        return connection;
    }

    Completed complete(SlackUserConnection connection, ClientCredentials app, StateCodec.Claims claims, String code,
            Optional<String> pkceVerifier, Optional<StoreState> existing, String consumed) throws Refusal.Failure {
        String who = claims.namespace() + "/" + claims.name();
        OAuthGrant grant = exchange(connection, app, code, pkceVerifier);
        var mismatch = Grants.mismatch(connection.getSpec(), grant.userId(), grant.team(), grant.enterprise());
        if (mismatch.isPresent()) {
            grants.revokeQuietly(Grants.all(grant), "a grant of the wrong identity");
            throw Refusal.WRONG_IDENTITY.because("Slack granted a token that does not fit " + who + ": "
                    + mismatch.get() + ". The tokens were revoked and nothing was stored.",
                    "If you have another Slack account or workspace, sign in to Slack with the one the connection "
                            + "expects, then open the link you were given again; otherwise tell the connection's "
                            + "owner.")
                    .owner("spec.user and spec.team say who may consent.", null);
        }
        AuthIdentity identity = confirm(grant);
        var incoming = new Rebinding.Identity(grant.userId(),
                grant.team().or(grant::enterprise).map(SlackRef::id).orElse(null));
        StoreState previous = existing.orElse(null);
        Rebinding.Verdict verdict = Rebinding.decide(previous, connection.getMetadata().getAnnotations(), incoming);
        Optional<Rebinding.Identity> bound = Rebinding.bound(previous);
        if (verdict == Rebinding.Verdict.REFUSE) {
            grants.revokeQuietly(Grants.all(grant), "a consent of another user");
            throw Refusal.OTHER_USER.because("SlackUserConnection " + who + " is connected to Slack user "
                    + bound.get() + ", and this consent came from another Slack user (" + incoming + "). A "
                    + "connection does not silently change hands: the tokens of this consent were revoked and nothing "
                    + "changed.", "If the connection should now act as you, ask its owner to request a "
                    + "re-authorization and send you the new link.")
                    .owner("To hand it over, request a re-authorization, then send the new status.authorizeUrl to "
                            + "the new Slack user:", "kubectl annotate suc " + claims.name() + " -n "
                            + claims.namespace() + " " + Labels.REAUTHORIZE_REQUEST + "=\"$(date +%s)\" --overwrite");
        }
        var m = connection.getMetadata();
        StoreState base = existing.orElse(StoreState.empty(new StoreState.Owner(m.getNamespace(), m.getName(),
                m.getUid())));
        save(connection, base.authorized(Grants.fromConsent(m.getUid(), grant, identity, clock.instant()),
                m.getAnnotations(), Optional.of(consumed), Optional.empty()), grant);
        Optional<StoredTokens> replaced = existing.flatMap(StoreState::tokens);
        stillWanted(claims, grant, replaced);
        replaced.ifPresent(r -> grants.revokeQuietly(Grants.all(r), "a replaced token"));
        if (verdict == Rebinding.Verdict.SWITCH) {
            String message = "Slack user " + bound.get() + " was replaced by " + incoming + " ("
                    + (Rebinding.reauthorizationPending(previous, m.getAnnotations())
                            ? "re-authorization was requested" : "the previous tokens no longer worked") + ")";
            events.identityChanged(connection, message);
            LOG.warnf("Identity of %s changed: %s", who, message);
        }
        LOG.infof("Authorized %s: Slack user %s in %s", who, grant.userId(), Grants.where(grant.team(),
                grant.enterprise()));
        return new Completed(grant, identity);
    }

    private OAuthGrant exchange(SlackUserConnection connection, ClientCredentials app, String code,
            Optional<String> verifier) throws Refusal.Failure {
        try {
            return slack.exchangeCode(app, code, links.redirectUri(connection), verifier);
        } catch (SlackPermanentException e) {
            if (e.isInvalidGrant()) {
                throw Refusal.CODE_INVALID.because("Slack refused the authorization code (" + e.error() + "): it is "
                        + "single-use and valid for 10 minutes.", "Open the link you were given again and consent "
                        + "again.");
            }
            if (e.isInvalidClient()) {
                throw Refusal.APP_REJECTED.because("Slack refused the Slack app's credentials (" + e.error() + ").",
                        "Tell the connection's owner; the link works again once the app is fixed.")
                        .owner("Check the client id and client secret the operator uses.", null);
            }
            throw Refusal.EXCHANGE_REFUSED.because("Slack answered '" + e.error() + "'.",
                    "Tell the connection's owner what Slack answered.")
                    .owner(e.error().contains("redirect") ? "The redirect URI must match a Redirect URL of the Slack "
                            + "app." : "Check the Slack app's OAuth settings, then send the link again.", null);
        } catch (SlackRateLimitedException e) {
            if (!e.local()) {
                throw slackUnavailable(e);
            }
            long seconds = Math.max(1, e.retryAfter().toSeconds());
            // Slack was not called, so the code is still good: reloading this page soon completes the consent.
            throw Refusal.LOCAL_RATE_LIMIT.retryAfter("Slack was not called: this operator's own limit of "
                    + config.slack().oauthAccessPerMinute() + " oauth.v2.access call(s) per minute "
                    + "(slack-operator.slack.oauth-access-per-minute, shared with token refreshes) is used up. No "
                    + "token was issued.", "Reload this page in " + seconds + " s (the authorization code stays valid "
                    + "for 10 minutes), or open the link you were given again later.", seconds);
        } catch (SlackApiException e) {
            throw slackUnavailable(e);
        }
    }

    private static Refusal.Failure slackUnavailable(SlackApiException e) {
        return Refusal.SLACK_UNAVAILABLE.because("Slack could not be reached or is failing (" + e.error()
                + "). No token was stored.", "Open the link you were given again in a moment.");
    }

    private AuthIdentity confirm(OAuthGrant grant) throws Refusal.Failure {
        try {
            return grants.confirm(grant);
        } catch (Grants.UnconfirmedException e) {
            throw e.error().isEmpty()
                    ? Refusal.IDENTITY_MISMATCH.because("auth.test names a different user than the exchange; the "
                            + "tokens were revoked.", "Open the link you were given again and consent again.")
                    : Refusal.UNCONFIRMED.because("Slack's auth.test failed (" + e.error().get() + "); the new tokens "
                            + "were revoked and nothing was stored.", "Open the link you were given again in a moment.");
        }
    }

    /** Writes the store compare-and-set; on any failure the new tokens are revoked, so none is left live. */
    private void save(SlackUserConnection connection, StoreState next, OAuthGrant grant) throws Refusal.Failure {
        try {
            store.write(next);
        } catch (RuntimeException e) {
            boolean conflict = e instanceof TokenStore.ConflictException;
            String cause = conflict ? e.getMessage() : e instanceof KubernetesClientException k && k.getCode() > 0
                    ? "HTTP " + k.getCode() : e.getClass().getSimpleName();
            // Maybe done: the write may have landed although its answer was lost (and a conflict may be the client's
            // own retry of a create that landed). What the store holds, read back and compared by content, decides;
            // what is or may be in it is never revoked.
            TokenStore.ReadBack held = store.readBack(next);
            if (held == TokenStore.ReadBack.LANDED) {
                LOG.infof("The token store of %s/%s holds this consent's tokens although the write did not say so (%s)",
                        connection.getMetadata().getNamespace(), connection.getMetadata().getName(), cause);
                return;
            }
            LOG.warnf("Could not write the token store of %s/%s: %s", connection.getMetadata().getNamespace(),
                    connection.getMetadata().getName(), cause);
            if (held == TokenStore.ReadBack.UNKNOWN) {
                throw Refusal.NOT_SAVED.because("The Kubernetes API did not say whether it stored the tokens (" + cause
                        + ") and could not be read back. Nothing was revoked, since they may be stored: the "
                        + "connection's status shows whether it is Ready.", "Wait a minute, then ask the connection's "
                        + "owner whether it is Ready; if not, open the link you were given again.")
                        .owner("The connection's Ready condition says whether the tokens were stored:",
                                "kubectl get suc " + connection.getMetadata().getName() + " -n "
                                        + connection.getMetadata().getNamespace());
            }
            if (conflict) {
                grants.revokeQuietly(Grants.all(grant), "a consent that raced another writer");
                throw Refusal.RACED.because(cause + "; the tokens of this attempt were revoked.",
                        "Open the link you were given again if the connection is not set up yet.");
            }
            grants.revokeQuietly(Grants.all(grant), "a consent that could not be stored");
            throw Refusal.NOT_SAVED.because("The Kubernetes API did not store the tokens (" + cause + "); the new "
                    + "tokens were revoked at Slack and nothing was stored.", "Open the link you were given again in "
                    + "a moment. If it keeps failing, tell the connection's owner.")
                    .owner("The operator's log says more.", null);
        }
    }

    /**
     * After the write: the connection may have been deleted meanwhile, and its finalizer may have run before the
     * store existed. Then this callback is the last one to touch the store, so it revokes its tokens and removes it
     * (a finalizer that runs later finds the store and revokes it itself).
     */
    private void stillWanted(StateCodec.Claims claims, OAuthGrant grant, Optional<StoredTokens> replaced)
            throws Refusal.Failure {
        try {
            connection(claims);
        } catch (Refusal.Failure gone) {
            grants.revokeQuietly(Grants.all(grant), "a consent for a deleted connection");
            // the finalizer may have run before this write and revoked nothing of what it replaced
            replaced.ifPresent(r -> grants.revokeQuietly(Grants.all(r), "a replaced token of a deleted connection"));
            try {
                store.delete(claims.uid());
            } catch (KubernetesClientException e) {
                LOG.warnf("Could not delete the orphaned token store of %s/%s: HTTP %d", claims.namespace(),
                        claims.name(), e.getCode());
            }
            throw Refusal.CONNECTION_GONE.because("SlackUserConnection " + claims.namespace() + "/" + claims.name()
                    + " no longer exists (it was deleted, or is being deleted, while this consent completed). The new "
                    + "tokens were revoked and nothing was kept.", "Nothing: the connection no longer needs a token.");
        }
    }
}
