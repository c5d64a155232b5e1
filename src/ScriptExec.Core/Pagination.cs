namespace ScriptExec.Core;

/// <summary>
/// Keyset pagination of seed 000. A positive limit selects the records that follow the reference point
/// (the lowest ids first without one); a negative limit the ones that precede it (the highest first).
/// Whatever selected them, the records are returned sorted by id, descending.
/// </summary>
public readonly record struct Pagination(int Limit, long? IdExclusive = null)
{
    public const int MaxLimit = 1000;

    /// <summary>True when the records are selected in ascending id order (positive limit).</summary>
    public bool Ascending => Limit > 0;

    /// <summary>How many records to select at most.</summary>
    public int Count => Math.Abs(Limit);

    public static bool IsValidLimit(long limit) => limit != 0 && limit >= -MaxLimit && limit <= MaxLimit;

    /// <summary>True when <paramref name="id"/> lies on the selected side of the reference point.</summary>
    public bool Admits(long id) => IdExclusive is not { } reference || (Ascending ? id > reference : id < reference);

    /// <summary>Applies the rules to ids already filtered and sorted ascending: the reference model of seed 000.</summary>
    public IReadOnlyList<T> Select<T>(IEnumerable<T> filteredAscending, Func<T, long> id)
    {
        var self = this;
        var candidates = filteredAscending.Where(x => self.Admits(id(x)));
        var selected = Ascending ? candidates.Take(Count) : candidates.Reverse().Take(Count);
        return [.. selected.OrderByDescending(id)];
    }
}
