using ScriptExec.Core;
using ScriptExec.Supervisor.Runtime;

namespace ScriptExec.Supervisor.Tests.Runtime;

public class RunTokensTests
{
    [Test]
    public void An_issued_token_validates_to_its_execution_user_and_role()
    {
        var tokens = new RunTokens();
        var token = tokens.Issue(42, "nobody", Role.Operator);

        Assert.Multiple(() =>
        {
            Assert.That(tokens.TryValidate(token, out var grant), Is.True);
            Assert.That(grant, Is.EqualTo(new RunTokenGrant(42, "nobody", Role.Operator)));
        });
    }

    [Test]
    public void A_token_is_32_random_bytes_in_base64url_without_padding()
    {
        var token = new RunTokens().Issue(1, "root", Role.Viewer);

        Assert.Multiple(() =>
        {
            Assert.That(token, Has.Length.EqualTo(43));
            Assert.That(token, Does.Match("^[A-Za-z0-9_-]{43}$"));
            Assert.That(Convert.FromBase64String(token.Replace('-', '+').Replace('_', '/') + "="), Has.Length.EqualTo(32));
        });
    }

    [Test]
    public void Tokens_differ_between_runs()
    {
        var tokens = new RunTokens();
        var issued = Enumerable.Range(0, 100).Select(id => tokens.Issue(id, "u", Role.Operator)).ToHashSet();

        Assert.That(issued, Has.Count.EqualTo(100));
    }

    [Test]
    public void A_revoked_token_no_longer_validates_and_others_still_do()
    {
        var tokens = new RunTokens();
        var first = tokens.Issue(1, "u", Role.Operator);
        var second = tokens.Issue(2, "u", Role.Admin);

        Assert.Multiple(() =>
        {
            Assert.That(tokens.Revoke(1), Is.True);
            Assert.That(tokens.TryValidate(first, out _), Is.False);
            Assert.That(tokens.TryValidate(second, out var grant) && grant.ExecutionId == 2, Is.True);
            Assert.That(tokens.Revoke(1), Is.False, "revoking twice");
            Assert.That(tokens.Count, Is.EqualTo(1));
        });
    }

    [Test]
    public void Issuing_again_for_an_execution_replaces_its_token()
    {
        var tokens = new RunTokens();
        var old = tokens.Issue(5, "u", Role.Operator);
        var renewed = tokens.Issue(5, "u", Role.Operator);

        Assert.Multiple(() =>
        {
            Assert.That(tokens.TryValidate(old, out _), Is.False);
            Assert.That(tokens.TryValidate(renewed, out _), Is.True);
            Assert.That(tokens.Count, Is.EqualTo(1));
        });
    }

    [Test]
    public void A_new_instance_knows_no_token_as_after_a_restart()
    {
        var token = new RunTokens().Issue(1, "u", Role.Admin);

        Assert.That(new RunTokens().TryValidate(token, out _), Is.False);
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("short")]
    [TestCase("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void Unknown_or_malformed_tokens_are_refused(string? token)
    {
        var tokens = new RunTokens();
        tokens.Issue(1, "u", Role.Admin);

        Assert.That(tokens.TryValidate(token, out var grant), Is.False);
        Assert.That(grant, Is.Null);
    }

    [Test]
    public void A_token_differing_in_one_character_is_refused()
    {
        var tokens = new RunTokens();
        var token = tokens.Issue(1, "u", Role.Admin);
        var altered = (token[0] == 'A' ? "B" : "A") + token[1..];

        Assert.That(tokens.TryValidate(altered, out _), Is.False);
    }
}
