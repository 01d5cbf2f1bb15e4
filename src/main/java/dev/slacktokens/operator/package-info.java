/** Kubernetes operator for Slack user OAuth tokens. */
package dev.slacktokens.operator;
