package dev.slacktokens.operator.reconciler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.config.OperatorConfig;
import dev.slacktokens.operator.config.OperatorMetrics;
import dev.slacktokens.operator.slack.ClientCredentials;
import dev.slacktokens.operator.slack.RefreshedToken;
import dev.slacktokens.operator.slack.SlackApiException;
import dev.slacktokens.operator.slack.SlackClient;
import dev.slacktokens.operator.slack.SlackPermanentException;
import dev.slacktokens.operator.slack.SlackRateLimitedException;
import dev.slacktokens.operator.slack.SlackToken;
import dev.slacktokens.operator.store.RefreshJournal;
import dev.slacktokens.operator.store.StoredTokens;
import dev.slacktokens.operator.store.TokenPair;
import dev.slacktokens.operator.store.TokenStore;
import io.fabric8.kubernetes.api.model.Secret;
import org.jboss.logging.Logger;

/**
 * One refresh of one pair (user or bot, the same protocol), in the order that never loses a refresh token and never
 * spends it twice:
 * <ol>
 * <li>at most one request in flight per refresh token in this process;</li>
 * <li>a permit of the client-side rate limit, taken before anything is written (over the limit is a wait, not a
 * failure: nothing is written and nothing is sent);</li>
 * <li>the journal written compare-and-set (a store read from a stale cache fails here, before Slack is called);</li>
 * <li>{@code oauth.v2.access}; a failure is recorded in the journal with the time of the next try (capped backoff or
 * Retry-After), so that every pass and every leader waits for it;</li>
 * <li>the new pair persisted first, compare-and-set; a write the API server refuses is retried in place, then the
 * pair is parked in memory and written first by the next pass (it is never dropped while this process lives);</li>
 * <li>a pair got by resuming an interrupted refresh is checked with {@code auth.test} before it is used.</li>
 * </ol>
 */
@ApplicationScoped
public class TokenRefresher {

    private static final Logger LOG = Logger.getLogger(TokenRefresher.class);
    private static final Duration FIRST_PAUSE = Duration.ofMillis(200);
    private static final Duration MAX_PAUSE = Duration.ofSeconds(5);

    private final TokenStore store;
    private final SlackClient slack;
    private final RefreshFaults faults;
    private final OperatorMetrics metrics;
    private final OperatorConfig config;
    private final Clock clock;
    /** Digests of the refresh tokens with a request in flight. */
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    /** Pairs Slack returned that the store did not take yet, by connection uid and pair. */
    private final Map<String, Parked> parked = new ConcurrentHashMap<>();

    TokenRefresher(TokenStore store, SlackClient slack, RefreshFaults faults, OperatorMetrics metrics,
            OperatorConfig config, Clock clock) {
        this.store = store;
        this.slack = slack;
        this.faults = faults;
        this.metrics = metrics;
        this.config = config;
        this.clock = clock;
    }

    /** How a refresh ended. */
    public sealed interface Outcome {
        /** The new pair is in the store. */
        record Refreshed(StoredTokens tokens) implements Outcome {
        }

        /** Slack failed (transient, rate-limited, or the app's credentials); recorded in the journal. */
        record Failed(SlackApiException cause, RefreshJournal journal) implements Outcome {
        }

        /** Over the operator's own rate limit: nothing was written or sent; try again after {@code delay}. */
        record Queued(Duration delay) implements Outcome {
        }

        /** Slack no longer accepts the pair; it was dropped from the store. */
        record Dead(Reason reason, String message) implements Outcome {
        }

        /** Another writer changed the store meanwhile (or holds the token now); decide again from what it holds. */
        record Superseded() implements Outcome {
        }
    }

    /** The refresh of a pair could not be written to the token store; the pair is parked and written next pass. */
    public static final class StoreWriteFailedException extends RuntimeException {
        StoreWriteFailedException(String message) {
            super(message, null, false, false);
        }
    }

    private record Parked(String usedDigest, RefreshedToken fresh, Instant at, Map<String, String> handled) {
    }

    public boolean halted() {
        return faults.halted();
    }

    /**
     * Refreshes {@code pair} of the tokens in {@code storeSecret}.
     *
     * @param handled annotations recorded on the store together with the new pair (e.g. which manual refresh
     *                request this answered)
     */
    public Outcome refresh(SlackUserConnection connection, Secret storeSecret, TokenPair pair, ClientCredentials app,
            Map<String, String> handled) {
        StoredTokens tokens = TokenStore.parse(storeSecret).orElseThrow();
        SlackToken refreshToken = pair.refreshToken(tokens).orElseThrow();
        String digest = RefreshJournal.digest(refreshToken);
        if (!inFlight.add(digest)) {
            return new Outcome.Superseded();
        }
        try {
            Outcome outcome = attempt(connection, storeSecret, pair, tokens, refreshToken, app, handled);
            metrics.refresh(metricLabel(outcome));
            return outcome;
        } finally {
            inFlight.remove(digest);
        }
    }

    private static String metricLabel(Outcome outcome) {
        if (outcome instanceof Outcome.Refreshed) {
            return "success";
        }
        if (outcome instanceof Outcome.Failed f) {
            return f.cause() instanceof SlackRateLimitedException ? "rate_limited"
                    : f.journal().invalidClient() ? "invalid_client" : "transient_error";
        }
        if (outcome instanceof Outcome.Queued) {
            return "queued";
        }
        return outcome instanceof Outcome.Dead ? "rejected" : "superseded";
    }

    private Outcome attempt(SlackUserConnection c, Secret storeSecret, TokenPair pair, StoredTokens tokens,
            SlackToken refreshToken, ClientCredentials app, Map<String, String> handled) {
        String who = who(c, pair);
        Parked waiting = parked.get(parkKey(c, pair));
        if (waiting != null) {
            if (waiting.usedDigest().equals(RefreshJournal.digest(refreshToken))) {
                LOG.infof("Writing the parked refresh of %s to the token store", who);
                return persist(c, storeSecret, pair, tokens, waiting.fresh(), waiting.at(),
                        storeSecret.getMetadata().getResourceVersion(), waiting.handled(), false);
            }
            parked.remove(parkKey(c, pair));
            revokeQuietly(waiting.fresh(), who);
        }
        Optional<Duration> wait = slack.tryAcquireRefreshPermit();
        if (wait.isPresent()) {
            return new Outcome.Queued(wait.get());
        }
        Optional<RefreshJournal> previous = TokenStore.journal(storeSecret, pair).filter(j -> j.isFor(refreshToken));
        boolean resumed = previous.map(RefreshJournal::open).orElse(false);
        RefreshJournal journal = RefreshJournal.start(refreshToken, clock.instant(), previous);
        String rv;
        try {
            rv = store.writeJournal(c, storeSecret, pair, journal, storeSecret.getMetadata().getResourceVersion());
        } catch (TokenStore.ConflictException e) {
            return new Outcome.Superseded();
        }
        if (resumed) {
            LOG.infof("Resuming the refresh of %s started at %s, with the same refresh token", who,
                    previous.get().startedAt());
        }
        RefreshedToken fresh;
        try {
            fresh = slack.refresh(app, refreshToken);
        } catch (SlackPermanentException e) {
            if (e.isInvalidGrant() || e.isTokenDead()) {
                return rejected(c, pair, refreshToken, e.error(), resumed ? "An interrupted refresh could not be "
                        + "completed within Slack's grace period (" + e.error() + ")" : null);
            }
            return failed(c, storeSecret, pair, journal, rv, e, who);
        } catch (SlackApiException e) {
            return failed(c, storeSecret, pair, journal, rv, e, who);
        }
        faults.afterSlackAnswered();
        return persist(c, storeSecret, pair, tokens, fresh, clock.instant().truncatedTo(ChronoUnit.SECONDS), rv,
                handled, resumed);
    }

    /** Records a failed attempt and when the next one may run (capped backoff, or Slack's Retry-After if longer). */
    private Outcome failed(SlackUserConnection c, Secret storeSecret, TokenPair pair, RefreshJournal journal,
            String rv, SlackApiException e, String who) {
        Instant now = clock.instant();
        Duration backoff = RefreshPolicy.backoff(journal.failures() + 1);
        if (e instanceof SlackRateLimitedException rl && rl.retryAfter().compareTo(backoff) > 0) {
            backoff = rl.retryAfter();
        }
        RefreshJournal failed = journal.failed(now, now.plus(backoff), e.error(), e.isInvalidClient());
        try {
            store.writeJournal(c, storeSecret, pair, failed, rv);
        } catch (TokenStore.ConflictException conflict) {
            return new Outcome.Superseded();
        }
        LOG.warnf("Refresh of %s failed (%s), attempt %d; next try at %s", who, e.error(), failed.failures(),
                failed.retryAt().orElseThrow());
        return new Outcome.Failed(e, failed);
    }

    /**
     * Writes the new pair, compare-and-set. A conflict is looked into (our own earlier write that landed, another
     * change that left our refresh token in place, or another writer that replaced the tokens); any other failure
     * (API server error, timeout, webhook) is retried for {@code slack-operator.store-write-retry}, then the pair is
     * parked for the next pass and the pass fails.
     */
    private Outcome persist(SlackUserConnection c, Secret storeSecret, TokenPair pair, StoredTokens used,
            RefreshedToken fresh, Instant issuedAt, String rv, Map<String, String> handled, boolean resumed) {
        String who = who(c, pair);
        Instant deadline = clock.instant().plus(config.storeWriteRetry());
        Duration pause = FIRST_PAUSE;
        Secret base = storeSecret;
        String expected = rv;
        SlackToken usedToken = pair.refreshToken(used).orElseThrow();
        while (true) {
            try {
                faults.beforePersist();
                StoredTokens next = store.persistRefresh(c, base, pair, used, fresh, issuedAt, expected, handled);
                parked.remove(parkKey(c, pair));
                LOG.infof("Refreshed %s: new %s token valid until %s", who, fresh.token().accessToken(),
                        pair.expiresAt(next).map(Object::toString).orElse("?"));
                return resumed ? verified(c, pair, next, who) : new Outcome.Refreshed(next);
            } catch (TokenStore.ConflictException e) {
                Optional<Secret> current = store.fetch(c.getMetadata().getUid());
                Optional<StoredTokens> now = current.flatMap(TokenStore::parse);
                Optional<SlackToken> held = now.flatMap(pair::refreshToken);
                if (held.isPresent() && held.get().equals(fresh.refreshToken())) {
                    parked.remove(parkKey(c, pair));
                    return new Outcome.Refreshed(now.get());
                }
                if (held.isPresent() && held.get().equals(usedToken)) {
                    base = current.get();
                    expected = base.getMetadata().getResourceVersion();
                    continue;
                }
                parked.remove(parkKey(c, pair));
                LOG.warnf("Refresh of %s lost a race with another writer that replaced the tokens; the pair it got "
                        + "is revoked", who);
                revokeQuietly(fresh, who);
                return new Outcome.Superseded();
            } catch (RuntimeException e) {
                boolean giveUp = !clock.instant().plus(pause).isBefore(deadline);
                if (!giveUp) {
                    LOG.warnf("Could not write the refreshed pair of %s to the token store (%s); retrying in %d ms",
                            who, describe(e), pause.toMillis());
                }
                if (giveUp || !pauseFor(pause)) {
                    parked.put(parkKey(c, pair), new Parked(RefreshJournal.digest(usedToken), fresh, issuedAt,
                            handled));
                    throw new StoreWriteFailedException("Slack rotated the " + pair.name().toLowerCase()
                            + " token of " + c.getMetadata().getNamespace() + "/" + c.getMetadata().getName()
                            + " but the token store could not be written (" + describe(e) + "); the new pair is kept "
                            + "in memory and written first by the next attempt");
                }
                pause = pause.multipliedBy(2).compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE : pause.multipliedBy(2);
            }
        }
    }

    /**
     * A pair got by resuming an interrupted refresh: Slack's answer to a reused refresh token is not documented (a
     * second pair, the same pair, or a pair that kills the first), so it is checked before it is used.
     */
    private Outcome verified(SlackUserConnection c, TokenPair pair, StoredTokens next, String who) {
        try {
            slack.authTest(pair.accessToken(next).orElseThrow());
            return new Outcome.Refreshed(next);
        } catch (SlackPermanentException e) {
            if (!e.isTokenDead() && !e.isInvalidGrant()) {
                return new Outcome.Refreshed(next);
            }
            return rejected(c, pair, pair.refreshToken(next).orElseThrow(), e.error(), "An interrupted refresh was "
                    + "resumed, but Slack does not accept the pair it returned (" + e.error() + ")");
        } catch (SlackApiException e) {
            LOG.infof("Could not confirm the resumed refresh of %s with auth.test (%s); using it", who, e.error());
            return new Outcome.Refreshed(next);
        }
    }

    /**
     * Slack refused the pair. Another writer may have rotated it meanwhile: only if the store still holds the refresh
     * token we used are the tokens dead (the user pair: all tokens; the bot pair: only the bot's).
     */
    private Outcome rejected(SlackUserConnection c, TokenPair pair, SlackToken used, String error, String why) {
        Optional<Secret> current = store.fetch(c.getMetadata().getUid());
        Optional<StoredTokens> now = current.flatMap(TokenStore::parse);
        if (now.flatMap(pair::refreshToken).filter(used::equals).isEmpty()) {
            return new Outcome.Superseded();
        }
        String cause = why != null ? why : "Slack no longer accepts the " + (pair == TokenPair.BOT ? "bot " : "")
                + "refresh token (" + error + ")";
        String message = pair == TokenPair.BOT
                ? cause + "; the bot token was removed. Authorize again (status.authorizeUrl) to get one"
                : cause + "; a Slack user must authorize again: open status.authorizeUrl";
        try {
            if (pair == TokenPair.BOT) {
                store.dropBot(current.get(), message);
            } else {
                store.markDead(current.get(), Reason.ReauthorizationRequired.name(), message);
            }
        } catch (TokenStore.ConflictException conflict) {
            return new Outcome.Superseded();
        }
        LOG.warnf("Tokens of %s dropped: %s", who(c, pair), message);
        return new Outcome.Dead(Reason.ReauthorizationRequired, message);
    }

    /**
     * Discards the tokens on request ({@code slacktokens.dev/reauthorize}): revokes every one of them at Slack (user
     * and bot pairs, best effort) and drops them from the store, so that a new consent is needed.
     */
    public void discard(Secret storeSecret, Map<String, String> handled) {
        TokenStore.parse(storeSecret).ifPresent(tokens -> {
            for (TokenPair pair : TokenPair.values()) {
                pair.accessToken(tokens).ifPresent(t -> revokeQuietly(t, "a discarded token"));
                pair.refreshToken(tokens).ifPresent(t -> revokeQuietly(t, "a discarded token"));
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

    private void revokeQuietly(RefreshedToken fresh, String who) {
        revokeQuietly(fresh.token().accessToken(), who);
        revokeQuietly(fresh.refreshToken(), who);
    }

    private void revokeQuietly(SlackToken token, String what) {
        try {
            slack.revoke(token);
        } catch (SlackApiException e) {
            LOG.warnf("Could not revoke %s (%s): %s", token, what, e.getMessage());
        }
    }

    private static String parkKey(SlackUserConnection c, TokenPair pair) {
        return c.getMetadata().getUid() + "/" + pair;
    }

    private static String who(SlackUserConnection c, TokenPair pair) {
        return c.getMetadata().getNamespace() + "/" + c.getMetadata().getName()
                + (pair == TokenPair.BOT ? " (bot token)" : "");
    }

    /** An API failure, described without its message (which could quote a request body). */
    static String describe(RuntimeException e) {
        if (e instanceof io.fabric8.kubernetes.client.KubernetesClientException k) {
            return k.getCode() > 0 ? "HTTP " + k.getCode() : "no answer from the API server";
        }
        return e.getClass().getSimpleName();
    }

    /** Waits before the next write; false when interrupted (the process is stopping). */
    private static boolean pauseFor(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
