package patchsites.model;

/**
 * A verdict with its reason.
 *
 * @param verdict            what re-targeting this site needs
 * @param reason             one line, for reports
 * @param syncRounds         cross-CPU synchronisation rounds (IPIs) one such patch costs on its own
 * @param placementDependent true when the site's address is not final (a relocatable object) and
 *                           some placements its section's alignment permits would give a better
 *                           verdict than the one reported; the reported verdict holds for all
 */
public record Assessment(Verdict verdict, String reason, int syncRounds, boolean placementDependent) {
    public static Assessment invalid(String reason) {
        return new Assessment(Verdict.INVALID, reason, 0, false);
    }
}
