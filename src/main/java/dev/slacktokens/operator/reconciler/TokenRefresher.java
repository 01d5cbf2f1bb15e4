package dev.slacktokens.operator.reconciler;

import java.time.Clock;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.config.OperatorMetrics;
import dev.slacktokens.operator.slack.ClientCredentials;
import dev.slacktokens.operator.slack.RefreshedToken;
import dev.slacktokens.operator.slack.SlackApiException;
import dev.slacktokens.operator.slack.SlackClient;
import dev.slacktokens.operator.slack.SlackPermanentException;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.store.StoredTokens;
import dev.slacktokens.operator.store.TokenStore;
import io.fabric8.kubernetes.api.model.Secret;
import org.jboss.logging.Logger;

/**
 * One refresh, in the order that never loses a refresh token: journal entry in the store (compare-and-set) →
 * {@code oauth.v2.access} with the refresh token → the new pair persisted first (compare-and-set on the journal's
 * resourceVersion). A crash between Slack's answer and the write leaves the journal open; the next attempt (the
 * next leader) retries at once with the same refresh token, inside Slack's grace period.
 */
@ApplicationScoped
public class TokenRefresher {

    private static final Logger LOG = Logger.getLogger(TokenRefresher.class);

    private final TokenStore store;
    private final SlackClient slack;
    private final RefreshFaultHook faults;
    private final OperatorMetrics metrics;
    private final Clock clock;

    TokenRefresher(TokenStore store, SlackClient slack, RefreshFaultHook faults, OperatorMetrics metrics,
            Clock clock) {
        this.store = store;
        this.slack = slack;
        this.faults = faults;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** How a refresh ended. */
    public sealed interface Outcome {
        /** The new pair is in the store. */
        record Refreshed(StoredTokens tokens) implements Outcome {
        }

        /** Slack failed in a way worth retrying (transient or rate-limited); the stored pair is untouched. */
        record Retry(SlackApiException cause) implements Outcome {
        }

        /** Slack rejected the app's credentials; the stored pair is untouched. */
        record InvalidClient(SlackApiException cause) implements Outcome {
        }

        /** Slack no longer accepts the tokens; they were dropped from the store. */
        record Dead(Reason reason, String message) implements Outcome {
        }

        /** Another writer changed the store meanwhile; decide again from what it holds now. */
        record Superseded() implements Outcome {
        }
    }

    public boolean halted() {
        return faults.halted();
    }

    /**
     * @param handled annotations recorded on the store together with the new pair (e.g. which manual refresh
     *                request this answered)
     */
    public Outcome refresh(SlackUserConnection connection, Secret storeSecret, StoredTokens tokens,
            ClientCredentials app, java.util.Map<String, String> handled) {
        Outcome outcome = attempt(connection, storeSecret, tokens, app, handled);
        metrics.refresh(switch (outcome.getClass().getSimpleName()) {
            case "Refreshed" -> "success";
            case "Retry" -> ((Outcome.Retry) outcome).cause() instanceof dev.slacktokens.operator.slack
                    .SlackRateLimitedException ? "rate_limited" : "transient_error";
            case "InvalidClient" -> "invalid_client";
            case "Dead" -> "rejected";
            default -> "superseded";
        });
        return outcome;
    }

    private Outcome attempt(SlackUserConnection connection, Secret storeSecret, StoredTokens tokens,
            ClientCredentials app, java.util.Map<String, String> handled) {
        var refreshToken = tokens.refreshToken().orElseThrow();
        String who = connection.getMetadata().getNamespace() + "/" + connection.getMetadata().getName();
        boolean resumed = TokenStore.journal(storeSecret).map(j -> j.isFor(refreshToken)).orElse(false);
        String rv;
        try {
            // Always a compare-and-set write before Slack is called, also when resuming: a store read from a stale
            // cache then fails here instead of spending a refresh token twice.
            rv = store.openJournal(connection, storeSecret, refreshToken, clock.instant());
        } catch (TokenStore.ConflictException e) {
            return new Outcome.Superseded();
        }
        if (resumed) {
            LOG.infof("Retrying the refresh of %s started at %s, with the same refresh token", who,
                    TokenStore.journal(storeSecret).map(j -> j.startedAt().toString()).orElse("?"));
        }
        RefreshedToken fresh;
        try {
            fresh = slack.refresh(app, refreshToken);
        } catch (SlackPermanentException e) {
            if (e.isInvalidClient()) {
                return new Outcome.InvalidClient(e);
            }
            if (e.isInvalidGrant() || e.isTokenDead()) {
                return rejected(connection, tokens, e, resumed, who);
            }
            return new Outcome.Retry(e);
        } catch (SlackApiException e) {
            return new Outcome.Retry(e);
        }
        faults.afterSlackAnswered();
        try {
            StoredTokens next = store.persistRefresh(connection, storeSecret, tokens, fresh,
                    clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS), rv, handled);
            LOG.infof("Refreshed %s: new %s token valid until %s", who, next.accessToken(),
                    next.expiresAt().map(Object::toString).orElse("?"));
            return new Outcome.Refreshed(next);
        } catch (TokenStore.ConflictException e) {
            LOG.warnf("Refresh of %s lost a race with another writer; its result is discarded", who);
            return new Outcome.Superseded();
        }
    }

    /**
     * Rotates the bot pair of a bot+user install, with the same protocol under its own journal annotation. When Slack
     * no longer accepts the bot refresh token (and the store still holds it), only the bot pair is dropped.
     */
    public Outcome refreshBot(SlackUserConnection connection, Secret storeSecret, StoredTokens tokens,
            ClientCredentials app) {
        var bot = tokens.bot().orElseThrow();
        var refreshToken = bot.refreshToken().orElseThrow();
        String who = connection.getMetadata().getNamespace() + "/" + connection.getMetadata().getName();
        String rv;
        try {
            rv = store.openJournal(connection, storeSecret, refreshToken, clock.instant(), Labels.REFRESH_JOURNAL_BOT);
        } catch (TokenStore.ConflictException e) {
            return new Outcome.Superseded();
        }
        RefreshedToken fresh;
        try {
            fresh = slack.refresh(app, refreshToken);
        } catch (SlackPermanentException e) {
            if (e.isInvalidClient()) {
                metrics.refresh("invalid_client");
                return new Outcome.InvalidClient(e);
            }
            if (e.isInvalidGrant() || e.isTokenDead()) {
                Optional<Secret> current = store.fetch(connection.getMetadata().getUid());
                Optional<StoredTokens> now = current.flatMap(TokenStore::parse);
                if (now.isEmpty() || now.get().bot().isEmpty()
                        || !now.get().bot().get().refreshToken().equals(bot.refreshToken())) {
                    return new Outcome.Superseded();
                }
                String why = "Slack no longer accepts the bot refresh token (" + e.error()
                        + "); the bot token was removed. Authorize again (status.authorizeUrl) to get one";
                try {
                    store.dropBot(connection, current.get(), now.get(), why,
                            current.get().getMetadata().getResourceVersion());
                } catch (TokenStore.ConflictException conflict) {
                    return new Outcome.Superseded();
                }
                LOG.warnf("Bot token of %s dropped: %s", who, why);
                metrics.refresh("rejected");
                return new Outcome.Dead(Reason.ReauthorizationRequired, why);
            }
            metrics.refresh("transient_error");
            return new Outcome.Retry(e);
        } catch (SlackApiException e) {
            metrics.refresh(e instanceof dev.slacktokens.operator.slack.SlackRateLimitedException ? "rate_limited"
                    : "transient_error");
            return new Outcome.Retry(e);
        }
        try {
            StoredTokens next = store.persistBotRefresh(connection, storeSecret, tokens, fresh,
                    clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS), rv);
            LOG.infof("Refreshed the bot token of %s: new %s token valid until %s", who,
                    next.bot().orElseThrow().accessToken(),
                    next.bot().orElseThrow().expiresAt().map(Object::toString).orElse("?"));
            metrics.refresh("success");
            return new Outcome.Refreshed(next);
        } catch (TokenStore.ConflictException e) {
            LOG.warnf("Bot refresh of %s lost a race with another writer; its result is discarded", who);
            return new Outcome.Superseded();
        }
    }

    /**
     * Discards the tokens on request ({@code slacktokens.dev/reauthorize}): revokes them at Slack (best effort) and
     * drops them from the store, so that a new consent is needed.
     */
    public void discard(Secret storeSecret, java.util.Map<String, String> handled) {
        TokenStore.parse(storeSecret).ifPresent(tokens -> {
            for (var token : java.util.stream.Stream.concat(java.util.stream.Stream.of(tokens.accessToken()),
                    tokens.refreshToken().stream()).toList()) {
                try {
                    slack.revoke(token);
                } catch (SlackApiException e) {
                    LOG.warnf("Could not revoke a discarded %s token: %s", token, e.getMessage());
                }
            }
        });
        try {
            store.markDead(storeSecret, Reason.ReauthorizationRequired.name(), "Re-authorization was "
                    + "requested (annotation slacktokens.dev/reauthorize); the old tokens were revoked. Open "
                    + "status.authorizeUrl to authorize again", handled);
        } catch (TokenStore.ConflictException e) {
            // Someone else wrote the store meanwhile; the request is still unhandled and is looked at again.
        }
    }

    /**
     * Slack refused the refresh token. Another writer may have rotated it meanwhile: only if the store still holds
     * the token we used are the tokens dead.
     */
    private Outcome rejected(SlackUserConnection connection, StoredTokens used, SlackPermanentException e,
            boolean resumed, String who) {
        Optional<Secret> current = store.fetch(connection.getMetadata().getUid());
        Optional<StoredTokens> now = current.flatMap(TokenStore::parse);
        if (now.isEmpty() || !now.get().refreshToken().equals(used.refreshToken())) {
            return new Outcome.Superseded();
        }
        String message = (e.isTokenDead() ? "Slack reports the token as " + e.error()
                : resumed ? "An interrupted refresh could not be completed within Slack's grace period ("
                        + e.error() + ")"
                        : "Slack no longer accepts the refresh token (" + e.error() + ")")
                + "; a Slack user must authorize again: open status.authorizeUrl";
        try {
            store.markDead(current.get(), Reason.ReauthorizationRequired.name(), message);
        } catch (TokenStore.ConflictException conflict) {
            return new Outcome.Superseded();
        }
        LOG.warnf("Tokens of %s dropped: %s", who, message);
        return new Outcome.Dead(Reason.ReauthorizationRequired, message);
    }
}
