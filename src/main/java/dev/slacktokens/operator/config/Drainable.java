package dev.slacktokens.operator.config;

import java.time.Instant;

/**
 * Work that must end before the Lease is given up ({@link OperatorStartup}'s clean stop): once {@link #drain} is called
 * it starts nothing new, and it waits until {@code deadline} for what is in flight.
 */
public interface Drainable {

    /** Starts nothing new from now on; waits until {@code deadline} at most; returns whether nothing is left. */
    boolean drain(Instant deadline);
}
