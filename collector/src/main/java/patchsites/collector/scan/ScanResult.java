package patchsites.collector.scan;

import java.util.List;
import java.util.Set;

/**
 * Sites of one object in (section index, offset) order, plus warnings about what a scan cannot
 * see, and which target patterns (as given) match a symbol of the object: one that matches none in
 * any input is misspelled, or names a static function inlined into every caller.
 */
public record ScanResult(String arch, List<CallSite> sites, List<String> warnings, Set<String> patternsMatched) {
}
