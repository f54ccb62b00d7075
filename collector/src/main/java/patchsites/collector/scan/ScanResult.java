package patchsites.collector.scan;

import java.util.List;
import java.util.Set;

/**
 * Sites of one object in (section index, offset) order, plus warnings about what a scan cannot
 * see, and which of the targets given by exact name have a symbol in the object (a name no object
 * has may be a static function inlined into every caller).
 */
public record ScanResult(String arch, List<CallSite> sites, List<String> warnings, Set<String> exactTargetsSeen) {
}
