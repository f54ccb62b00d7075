package patchsites.collector.cli;

import patchsites.collector.emit.TableEmitter;
import picocli.CommandLine.Option;

/** --key-prefix, shared by emit (which writes site-key keys) and audit (which checks them). */
final class KeyOptions {
    @Option(names = "--key-prefix", paramLabel = "FROM=TO",
            description = "site-key: the key symbol is the target with prefix FROM replaced by TO (__SCT__=__SCK__).")
    String keyPrefix;

    /**
     * The key rule, or null without --key-prefix. {@code fallbackToTarget}: whether a key may be
     * the target itself where the key symbol is missing.
     */
    TableEmitter.KeyRule rule(boolean fallbackToTarget, String layout) {
        if (keyPrefix == null) {
            return null;
        }
        if (patchsites.collector.emit.TableLayout.parse(layout) != patchsites.collector.emit.TableLayout.SITE_KEY) {
            throw new IllegalArgumentException("--key-prefix applies to --layout=site-key only (the " + layout
                    + " layout has no keys)");
        }
        int eq = keyPrefix.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("--key-prefix takes FROM=TO, e.g. __SCT__=__SCK__");
        }
        return new TableEmitter.KeyRule(keyPrefix.substring(0, eq), keyPrefix.substring(eq + 1), fallbackToTarget);
    }
}
