namespace ScriptExec.Store.Tests;

/// <summary>
/// The tests' own ad-hoc queries run on plain Dapper (reflection), which must be told that PascalCase members match
/// snake_case columns; the shipped queries are compiled by Dapper.AOT, which matches them by itself.
/// </summary>
[SetUpFixture]
public sealed class DapperConventions
{
    [OneTimeSetUp]
    public void MatchSnakeCaseColumns() => Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
}
