package dev.slacktokens.operator.config;

/** How this process ends when it must stop at once ({@link LeaseLoss}); a bean so that tests can see it called. */
@FunctionalInterface
public interface ProcessExit {

    void exit(int status);
}
