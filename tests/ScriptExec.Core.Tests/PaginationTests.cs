namespace ScriptExec.Core.Tests;

/// <summary>Seed 000's selection rules, on ids 1..10.</summary>
public sealed class PaginationTests
{
    private static readonly long[] Ids = [.. Enumerable.Range(1, 10).Select(i => (long)i)];

    [TestCase(3, null, new long[] { 3, 2, 1 }, TestName = "Positive_limit_without_reference_selects_the_lowest_ids_descending")]
    [TestCase(3, 4L, new long[] { 7, 6, 5 }, TestName = "Positive_limit_selects_the_next_higher_ids_after_the_reference")]
    [TestCase(-3, null, new long[] { 10, 9, 8 }, TestName = "Negative_limit_without_reference_selects_the_highest_ids")]
    [TestCase(-3, 4L, new long[] { 3, 2, 1 }, TestName = "Negative_limit_selects_the_next_lower_ids_before_the_reference")]
    [TestCase(5, 8L, new long[] { 10, 9 }, TestName = "Positive_limit_near_the_end_returns_what_is_left")]
    [TestCase(-5, 1L, new long[0], TestName = "Negative_limit_before_the_first_id_returns_nothing")]
    [TestCase(1000, 0L, new long[] { 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 }, TestName = "Reference_zero_with_positive_limit_selects_from_the_first")]
    [TestCase(-2, 100L, new long[] { 10, 9 }, TestName = "Reference_beyond_the_last_id_selects_the_highest")]
    public void Selects_per_seed_000(int limit, long? reference, long[] expected)
    {
        var page = new Pagination(limit, reference);

        Assert.That(page.Select(Ids, id => id), Is.EqualTo(expected));
    }

    [TestCase(0, false)]
    [TestCase(1, true)]
    [TestCase(-1, true)]
    [TestCase(1000, true)]
    [TestCase(-1000, true)]
    [TestCase(1001, false)]
    [TestCase(-1001, false)]
    public void Limit_must_be_non_zero_and_within_1000(long limit, bool valid) =>
        Assert.That(Pagination.IsValidLimit(limit), Is.EqualTo(valid));
}
