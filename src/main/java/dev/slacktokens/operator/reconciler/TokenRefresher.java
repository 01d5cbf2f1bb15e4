package dev.slacktokens.operator.reconciler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.config.Drainable;
import dev.slacktokens.operator.config.OperatorConfig;
import dev.slacktokens.operator.config.OperatorMetrics;
import dev.slacktokens.operator.slack.ClientCredentials;
import dev.slacktokens.operator.slack.RefreshedToken;
import dev.slacktokens.operator.slack.SlackApiException;
import dev.slacktokens.operator.slack.SlackClient;
import dev.slacktokens.operator.slack.SlackRateLimiter;
import dev.slacktokens.operator.slack.SlackToken;
import dev.slacktokens.operator.grant.Grants;
import dev.slacktokens.operator.store.RefreshJournal;
import dev.slacktokens.operator.store.StoreState;
import dev.slacktokens.operator.store.StoredTokens;
import dev.slacktokens.operator.store.TokenPair;
import dev.slacktokens.operator.store.TokenStore;
import org.jboss.logging.Logger;

/**
 * One refresh of one pair (user or bot, the same protocol), in the order that never loses a refresh token and never
 * spends it twice; what each answer means is {@link RefreshProtocol}'s table ("an outcome that was not seen is maybe
 * done"):
 * <ol>
 * <li>at most one request in flight per refresh token in this process, and none once the process is stopping;</li>
 * <li>a permit of the client-side rate limit, taken before anything is written (over the limit is a wait, not a
 * failure: nothing is written and nothing is sent);</li>
 * <li>the journal written compare-and-set (a store read from a stale cache fails here, before Slack is called);</li>
 * <li>{@code oauth.v2.access}; an answer that is not a pair is recorded in the journal with the time of the next try,
 * so that every pass and every leader waits for it: the backoff after Slack's word that nothing was minted, at once
 * and then every few seconds when the outcome is unknown (the journal is then in doubt);</li>
 * <li>the new pair persisted first, compare-and-set; a write that does not say it landed is read back and compared by
 * content; a pair that may be in the store is never revoked, and one the store could not take is kept in memory and
 * written first by the next pass, after another read;</li>
 * <li>a pair got by an attempt in doubt or resumed is checked with {@code auth.test} before it is used.</li>
 * </ol>
 */
@ApplicationScoped
public class TokenRefresher implements Drainable {

    private static final Logger LOG = Logger.getLogger(TokenRefresher.class);
    private static final Duration FIRST_PAUSE = Duration.ofMillis(200);
    private static final Duration MAX_PAUSE = Duration.ofSeconds(5);

    @Inject
    TokenStore store;
    @Inject
    SlackClient slack;
    @Inject
    Grants grants;
    @Inject
    OperatorMetrics metrics;
    @Inject
    OperatorConfig config;
    @Inject
    Clock clock;
    /** Digests of the refresh tokens with a request in flight. */
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    /** Pairs Slack returned that the store did not take yet, by connection uid and pair. */
    private final Map<String, Parked> parked = new ConcurrentHashMap<>();
    /** Set when the process stops: no refresh starts any more. */
    private volatile boolean stopping;
    /** The clean stop's deadline: no store write is retried past it. */
    private volatile Instant stopBy = Instant.MAX;

    /** The refresh of a pair could not be written to the token store; the pair is parked and written next pass. */
    public static final class StoreWriteFailedException extends RuntimeException {
        StoreWriteFailedException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * A pair Slack returned that the store has not taken (as far as this process saw).
     *
     * @param used    the refresh token it was got with
     * @param journal the journal written before the call
     * @param check   whether it must pass {@code auth.test} before it is used
     */
    private record Parked(SlackToken used, RefreshedToken fresh, Instant at, Optional<String> handled,
            RefreshJournal journal, boolean check, SlackUserConnection connection, TokenPair pair) {

        Parked checked() {
            return new Parked(used, fresh, at, handled, journal, true, connection, pair);
        }
    }

    /** The pairs of a connection kept in memory, which its next pass settles before anything else. */
    Set<TokenPair> parkedPairs(String connectionUid) {
        if (parked.isEmpty()) {
            return Set.of();
        }
        Set<TokenPair> pairs = java.util.EnumSet.noneOf(TokenPair.class);
        for (TokenPair pair : TokenPair.values()) {
            if (parked.containsKey(parkKey(connectionUid, pair))) {
                pairs.add(pair);
            }
        }
        return pairs;
    }

    /**
     * Refreshes {@code pair} of the tokens in {@code state} (a pass of the controller).
     *
     * @param manualRequest the refresh annotation value this answers, recorded with the new pair
     */
    public RefreshOutcome refresh(SlackUserConnection connection, StoreState state, TokenPair pair,
            ClientCredentials app, Optional<String> manualRequest) {
        return run(connection, state, pair, app, manualRequest);
    }

    /** Resumes an interrupted refresh (an open journal) on taking the Lease, before the controller runs. */
    public RefreshOutcome resume(SlackUserConnection connection, StoreState state, TokenPair pair,
            ClientCredentials app) {
        return run(connection, state, pair, app, Optional.empty());
    }

    /**
     * The clean stop: no refresh starts from now on, and this waits until {@code deadline} for those in flight (a
     * Slack call, the writes after it). Returns whether none is left.
     */
    @Override
    public boolean drain(Instant deadline) {
        stopBy = deadline;
        stopping = true;
        while (!inFlight.isEmpty() && clock.instant().isBefore(deadline)) {
            if (!pauseFor(Duration.ofMillis(50))) {
                break;
            }
        }
        // A pair kept in memory lives nowhere else: settle it (read back, write) while the deadline allows.
        for (Parked waiting : parked.values()) {
            if (!clock.instant().isBefore(deadline)) {
                break;
            }
            String digest = RefreshJournal.digest(waiting.used());
            if (!inFlight.add(digest)) {
                continue;
            }
            try {
                settleParked(waiting.connection(), waiting.pair(), waiting, who(waiting.connection(), waiting.pair()));
            } catch (RuntimeException e) {
                LOG.warnf("Stopping with the refreshed pair of %s still in memory (%s): the next leader resumes the "
                        + "refresh with the refresh token it was got with", who(waiting.connection(), waiting.pair()),
                        e.getMessage());
            } finally {
                inFlight.remove(digest);
            }
        }
        return inFlight.isEmpty() && parked.isEmpty();
    }

    /**
     * A deleted connection (its finalizer): a pair kept in memory that the store does not hold (compared by content)
     * is revoked, since nobody else will ever hold it; one the store holds is left to the deletion policy.
     */
    public void forget(SlackUserConnection c, Optional<StoreState> stored) {
        for (TokenPair pair : TokenPair.values()) {
            Parked waiting = parked.remove(parkKey(c, pair));
            if (waiting != null && RefreshProtocol.held(stored, pair, waiting.used(), waiting.fresh(),
                    waiting.journal()) != RefreshProtocol.Held.FRESH) {
                grants.revokeQuietly(Grants.all(waiting.fresh()), "a parked pair of a deleted connection");
            }
        }
    }

    /** Test seam: Slack answered a refresh and the new pair is not persisted yet. */
    protected void afterSlackAnswered() {
    }

    /** Test seam: about to write a refreshed pair to the token store. */
    protected void beforePersist() {
    }

    /** Test seam: a write of a refreshed pair landed (a fault hook may lose its answer here). */
    protected void afterStoreWrite() {
    }

    /** Reads a store back from the API server (a test seam: a fault hook may refuse it, as an outage would). */
    protected Optional<StoreState> readBack(String connectionUid) {
        return store.fetch(connectionUid);
    }

    private RefreshOutcome run(SlackUserConnection connection, StoreState state, TokenPair pair,
            ClientCredentials app, Optional<String> manualRequest) {
        SlackToken refreshToken = state.tokens().flatMap(pair::refreshToken).orElseThrow();
        String digest = RefreshJournal.digest(refreshToken);
        if (!inFlight.add(digest)) {
            return new RefreshOutcome.Superseded();
        }
        try {
            RefreshOutcome outcome = attempt(connection, state, pair, refreshToken, app, manualRequest);
            metrics.refresh(outcome.metricLabel());
            return outcome;
        } finally {
            inFlight.remove(digest);
        }
    }

    private RefreshOutcome attempt(SlackUserConnection c, StoreState state, TokenPair pair, SlackToken refreshToken,
            ClientCredentials app, Optional<String> manualRequest) {
        String who = who(c, pair);
        Parked waiting = parked.get(parkKey(c, pair));
        if (waiting != null) {
            // Written even while stopping: the store is the only other place the pair could live.
            return settleParked(c, pair, waiting, who);
        }
        if (stopping) {
            return new RefreshOutcome.Queued(RefreshPolicy.MIN_WAIT);
        }
        SlackRateLimiter.Attempt attempt = slack.tryAcquireRefreshPermit();
        if (attempt instanceof SlackRateLimiter.Wait wait) {
            return new RefreshOutcome.Queued(wait.duration());
        }
        Optional<RefreshJournal> previous = state.currentJournal(pair);
        boolean check = previous.map(RefreshJournal::needsCheck).orElse(false);
        StoreState started;
        RefreshedToken fresh;
        // the permit is given back unused if the journal cannot be written, and with Slack's answer otherwise
        try (SlackRateLimiter.Permit permit = (SlackRateLimiter.Permit) attempt) {
            try {
                started = store.write(state.withJournal(pair, RefreshJournal.start(refreshToken, clock.instant(),
                        previous)));
            } catch (TokenStore.ConflictException e) {
                return new RefreshOutcome.Superseded();
            }
            if (check) {
                LOG.infof("Resuming the refresh of %s started at %s%s, with the same refresh token", who,
                        previous.get().startedAt(), previous.get().open() ? "" : " (its outcome is unknown)");
            }
            try {
                fresh = slack.refresh(app, refreshToken, permit);
            } catch (SlackApiException e) {
                if (RefreshProtocol.minted(e) == RefreshProtocol.Minted.DEAD) {
                    return rejected(c, pair, refreshToken, e.error(), !check ? null
                            : (previous.get().open() ? "An interrupted refresh" : "A refresh whose outcome was not seen")
                                    + " could not be completed within Slack's grace period (" + e.error() + ")");
                }
                return failed(started, pair, e, who);
            }
        }
        afterSlackAnswered();
        RefreshJournal ours = started.journal(pair).orElseThrow();
        return persist(c, started, pair, new Parked(refreshToken, fresh, clock.instant(), manualRequest, ours, check, c,
                pair));
    }

    /**
     * Records an attempt that ended without a pair and when the next one may run ({@link RefreshProtocol#afterFailure}).
     * If this write fails too, the journal stays open and the next pass resumes the refresh as one in doubt.
     */
    private RefreshOutcome failed(StoreState started, TokenPair pair, SlackApiException e, String who) {
        RefreshJournal failed = RefreshProtocol.afterFailure(started.journal(pair).orElseThrow(), e,
                started.tokens().flatMap(pair::expiresAt), clock.instant());
        StoreState recorded;
        try {
            recorded = store.write(started.withJournal(pair, failed));
        } catch (TokenStore.ConflictException conflict) {
            return new RefreshOutcome.Superseded();
        }
        String next = failed.retryAt().orElseThrow().toString();
        if (RefreshProtocol.minted(e) == RefreshProtocol.Minted.UNKNOWN) {
            LOG.warnf("Refresh of %s ended without a definite answer (%s), attempt %d: Slack may have rotated the "
                    + "pair; trying the same refresh token again at %s and checking what it returns", who, e.error(),
                    failed.failures(), next);
        } else {
            LOG.warnf("Refresh of %s failed (%s), attempt %d; next try at %s", who, e.error(), failed.failures(), next);
        }
        return new RefreshOutcome.Failed(e, recorded);
    }

    /**
     * A pair parked by an earlier pass: the store is read back first (directly, not from the cache) and decides, by
     * content: it holds the pair (the write that "failed" had landed), still the refresh token it was got with (write
     * it), or another writer's tokens (then it was never in the store and is revoked).
     */
    private RefreshOutcome settleParked(SlackUserConnection c, TokenPair pair, Parked waiting, String who) {
        Optional<StoreState> current;
        try {
            current = readBack(c.getMetadata().getUid());
        } catch (RuntimeException e) {
            throw stillParked(c, pair, e);
        }
        RefreshProtocol.Held held = RefreshProtocol.held(current, pair, waiting.used(), waiting.fresh(),
                waiting.journal());
        return switch (RefreshProtocol.afterWrite(RefreshProtocol.Write.UNKNOWN, held, true)) {
            case DONE -> {
                parked.remove(parkKey(c, pair));
                LOG.infof("The refreshed pair of %s kept in memory is in the token store already (an earlier write "
                        + "landed although its answer was lost)", who);
                yield waiting.check() ? verified(c, pair, current.get(), who) : new RefreshOutcome.Refreshed(current.get());
            }
            case WRITE_AGAIN -> {
                LOG.infof("Writing the parked refresh of %s to the token store", who);
                yield persist(c, current.get(), pair, waiting);
            }
            case WRITE_AGAIN_AND_CHECK -> {
                LOG.infof("Writing the parked refresh of %s to the token store (to be checked: another writer "
                        + "started a refresh with the same token)", who);
                yield persist(c, current.get(), pair, waiting.checked());
            }
            case SUPERSEDED -> superseded(c, pair, waiting, who);
            case PARK -> throw stillParked(c, pair, null);
        };
    }

    /**
     * Writes the new pair, compare-and-set, following {@link RefreshProtocol#afterWrite}: a write that does not say
     * it landed (a conflict, or any other failure: an API server error, a timeout, a webhook, a lost answer) is read
     * back; the pair is written again on what the store holds while it still holds the refresh token we used
     * ({@code slack-operator.store-write-retry} for failures), else it is done (ours is there), superseded (another
     * writer's is), or parked for the next pass (the store could not be read or written meanwhile).
     */
    private RefreshOutcome persist(SlackUserConnection c, StoreState state, TokenPair pair, Parked got) {
        String who = who(c, pair);
        String uid = c.getMetadata().getUid();
        Instant retryUntil = clock.instant().plus(config.storeWriteRetry());
        Instant deadline = retryUntil.isBefore(stopBy) ? retryUntil : stopBy;
        Duration pause = FIRST_PAUSE;
        StoreState base = state;
        boolean check = got.check();
        while (true) {
            RefreshProtocol.Write result;
            RuntimeException failure = null;
            StoreState written = null;
            try {
                beforePersist();
                StoredTokens next = Grants.fromRefresh(base.tokens().orElseThrow(), pair, got.fresh(), got.at());
                StoreState saved = store.write(base.refreshed(pair, next, got.handled()));
                afterStoreWrite();
                written = saved;
                result = RefreshProtocol.Write.LANDED;
            } catch (TokenStore.ConflictException e) {
                result = RefreshProtocol.Write.CONFLICT;
            } catch (RuntimeException e) {
                result = RefreshProtocol.Write.UNKNOWN;
                failure = e;
            }
            Optional<StoreState> current = Optional.empty();
            RefreshProtocol.Held held = null;
            if (result != RefreshProtocol.Write.LANDED) {
                try {
                    current = readBack(uid);
                    held = RefreshProtocol.held(current, pair, got.used(), got.fresh(), got.journal());
                } catch (RuntimeException e) {
                    held = RefreshProtocol.Held.UNREADABLE;
                }
            }
            boolean timeLeft = clock.instant().plus(pause).isBefore(deadline);
            switch (RefreshProtocol.afterWrite(result, held, timeLeft)) {
                case DONE -> {
                    parked.remove(parkKey(c, pair));
                    StoreState now = written != null ? written : current.get();
                    LOG.infof("Refreshed %s: new %s token valid until %s", who, got.fresh().token().accessToken(),
                            now.tokens().flatMap(pair::expiresAt).map(Object::toString).orElse("?"));
                    return check ? verified(c, pair, now, who) : new RefreshOutcome.Refreshed(now);
                }
                case WRITE_AGAIN, WRITE_AGAIN_AND_CHECK -> {
                    if (held == RefreshProtocol.Held.USED_BY_ANOTHER) {
                        LOG.warnf("Another writer started a refresh of %s with the refresh token this one used; the "
                                + "pair Slack returned here is written and checked with auth.test", who);
                        check = true;
                    }
                    base = current.orElse(base);
                    if (result == RefreshProtocol.Write.UNKNOWN || held == RefreshProtocol.Held.UNREADABLE) {
                        LOG.warnf("Could not write the refreshed pair of %s to the token store (%s); retrying in %d ms",
                                who, failure != null ? ReconcileErrors.describe(failure) : "conflict, and the store "
                                        + "could not be read back", pause.toMillis());
                        if (!pauseFor(pause)) {
                            throw park(c, pair, got, check, failure);
                        }
                        pause = pause.multipliedBy(2).compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE : pause.multipliedBy(2);
                    }
                }
                case PARK -> throw park(c, pair, got, check, failure);
                case SUPERSEDED -> {
                    return superseded(c, pair, got, who);
                }
            }
        }
    }

    /** Another writer's tokens are in the store (read back, compared by content): ours never were, and are revoked. */
    private RefreshOutcome superseded(SlackUserConnection c, TokenPair pair, Parked got, String who) {
        parked.remove(parkKey(c, pair));
        LOG.warnf("Refresh of %s lost a race with another writer that replaced the tokens; the pair it got "
                + "(never in the token store) is revoked", who);
        grants.revokeQuietly(Grants.all(got.fresh()), "a refreshed pair another writer superseded");
        return new RefreshOutcome.Superseded();
    }

    private StoreWriteFailedException park(SlackUserConnection c, TokenPair pair, Parked got, boolean check,
            RuntimeException cause) {
        parked.put(parkKey(c, pair), check ? got.checked() : got);
        return stillParked(c, pair, cause);
    }

    private static StoreWriteFailedException stillParked(SlackUserConnection c, TokenPair pair, RuntimeException e) {
        return new StoreWriteFailedException("Slack rotated the " + pair.name().toLowerCase() + " token of "
                + c.getMetadata().getNamespace() + "/" + c.getMetadata().getName() + " but the token store could not "
                + "be written or read back" + (e == null ? "" : " (" + ReconcileErrors.describe(e) + ")")
                + "; the new pair is kept in memory, and the next attempt reads the store before it writes it");
    }

    /**
     * A pair got by an attempt whose earlier outcome was not seen (in doubt, or resumed after a crash): Slack's answer
     * to a reused refresh token is not documented (a second pair, the same pair, or a pair that kills the first), so
     * it is checked before it is used.
     */
    private RefreshOutcome verified(SlackUserConnection c, TokenPair pair, StoreState written, String who) {
        StoredTokens next = written.tokens().orElseThrow();
        try {
            slack.authTest(pair.accessToken(next).orElseThrow());
            return new RefreshOutcome.Refreshed(written);
        } catch (SlackApiException e) {
            if (RefreshProtocol.check(e) == RefreshProtocol.Check.USE) {
                LOG.infof("auth.test did not refuse the pair of the resumed refresh of %s (%s); using it", who,
                        e.error());
                return new RefreshOutcome.Refreshed(written);
            }
            return rejected(c, pair, pair.refreshToken(next).orElseThrow(), e.error(), "A refresh whose outcome was "
                    + "not seen was resumed, but Slack does not accept the pair it returned (" + e.error() + ")");
        }
    }

    /**
     * Slack refused the pair. Another writer may have rotated it meanwhile: only if the store still holds the refresh
     * token we used are the tokens dead (the user pair: all tokens; the bot pair: only the bot's).
     */
    private RefreshOutcome rejected(SlackUserConnection c, TokenPair pair, SlackToken used, String error, String why) {
        Optional<StoreState> current = store.fetch(c.getMetadata().getUid());
        if (current.flatMap(StoreState::tokens).flatMap(pair::refreshToken).filter(used::equals).isEmpty()) {
            return new RefreshOutcome.Superseded();
        }
        String cause = why != null ? why : "Slack no longer accepts the " + (pair == TokenPair.BOT ? "bot " : "")
                + "refresh token (" + error + ")";
        String message = pair == TokenPair.BOT
                ? cause + "; the bot token was removed. Authorize again (status.authorizeUrl) to get one"
                : cause + "; a Slack user must authorize again: open status.authorizeUrl";
        StoreState dead;
        try {
            dead = store.write(pair == TokenPair.BOT ? current.get().withoutBot(message)
                    : current.get().dead(Reason.ReauthorizationRequired, message));
        } catch (TokenStore.ConflictException conflict) {
            return new RefreshOutcome.Superseded();
        }
        LOG.warnf("Tokens of %s dropped: %s", who(c, pair), message);
        return new RefreshOutcome.Dead(dead);
    }

    private static String parkKey(SlackUserConnection c, TokenPair pair) {
        return parkKey(c.getMetadata().getUid(), pair);
    }

    private static String parkKey(String connectionUid, TokenPair pair) {
        return connectionUid + "/" + pair;
    }

    private static String who(SlackUserConnection c, TokenPair pair) {
        return c.getMetadata().getNamespace() + "/" + c.getMetadata().getName()
                + (pair == TokenPair.BOT ? " (bot token)" : "");
    }

    /** Waits (before the next write, or for work in flight to end); false when interrupted (the process is stopping). */
    static boolean pauseFor(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
