package dev.slacktokens.operator.testing;

/**
 * {@link OperatorProfile}'s configuration in an application and mock server of their own: the fuzz tests compare
 * every Secret of the cluster before and after a batch, which only means something when no other suite's
 * connections are still refreshing in the background.
 */
public class FuzzProfile extends OperatorProfile {
}
