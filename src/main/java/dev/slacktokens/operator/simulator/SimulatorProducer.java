package dev.slacktokens.operator.simulator;

import java.time.Clock;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.enterprise.inject.Typed;

/** Builds the one simulator instance of this process from {@link SimulatorConfig}. */
public class SimulatorProducer {

    /** Application id Slack would assign to the default app. */
    static final String DEFAULT_APP_ID = "A0SIM0001";

    /** Typed so that it never satisfies a plain {@code Clock} injection point (the operator's clock). */
    @Produces
    @ApplicationScoped
    @Typed(MutableClock.class)
    MutableClock simulatorClock() {
        return new MutableClock(Clock.systemUTC());
    }

    @Produces
    @ApplicationScoped
    SlackSimulator simulator(SimulatorConfig config, MutableClock clock) {
        var app = new SlackSimulator.App(config.clientId(), config.clientSecret(), DEFAULT_APP_ID, config.rotation(),
                config.pkce(), List.of());
        var team = new SlackSimulator.Team(config.teamId(), config.teamName(), "simulated", null, null);
        var user = new SlackSimulator.User(config.userId(), config.teamId(), config.userName());
        var settings = new SimulatorSettings(config.tokenLifetime().toSeconds(), config.refreshGrace().toSeconds(),
                config.codeLifetime().toSeconds(), SimulatorSettings.ReusePolicy.MINT_NEW,
                config.eventsUrl().orElse(null), null);
        return new SlackSimulator(clock, app, team, user, config.signingSecret(), settings, config.faultSeed());
    }
}
