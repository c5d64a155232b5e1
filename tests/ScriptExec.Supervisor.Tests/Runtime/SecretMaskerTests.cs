using ScriptExec.Core;
using ScriptExec.Supervisor.Runtime;

namespace ScriptExec.Supervisor.Tests.Runtime;

public class SecretMaskerTests
{
    private const string Mask = InstanceDefinition.SecretMask;

    [Test]
    public void Every_occurrence_of_a_secret_is_masked()
    {
        var masker = SecretMasker.For(["hunter2!"]);

        Assert.That(masker.Mask("pw=hunter2! again hunter2!"), Is.EqualTo($"pw={Mask} again {Mask}"));
    }

    [Test]
    public void A_line_without_secrets_is_returned_as_is()
    {
        var masker = SecretMasker.For(["s3cret-value"]);
        var line = "nothing to see";

        Assert.That(masker.Mask(line), Is.SameAs(line));
    }

    [Test]
    public void A_longer_secret_containing_a_shorter_one_is_masked_whole()
    {
        var masker = SecretMasker.For(["pass", "password123"]);

        Assert.That(masker.Mask("x password123 y pass"), Is.EqualTo($"x {Mask} y {Mask}"));
    }

    [Test]
    public void Overlapping_secrets_leave_no_part_of_either_visible()
    {
        var masker = SecretMasker.For(["abcdef", "defghi"]);

        Assert.That(masker.Mask("<abcdefghi>"), Is.EqualTo($"<{Mask}>"));
    }

    [Test]
    public void Overlapping_occurrences_of_one_secret_are_masked_together()
    {
        var masker = SecretMasker.For(["aaaa"]);

        Assert.That(masker.Mask("baaaaaab"), Is.EqualTo($"b{Mask}b"));
    }

    [TestCase("")]
    [TestCase("a")]
    [TestCase("abc")]
    public void Values_shorter_than_four_characters_are_not_masked(string value)
    {
        var masker = SecretMasker.For([value]);

        Assert.Multiple(() =>
        {
            Assert.That(masker.IsEmpty, Is.True);
            Assert.That(masker.Mask("abc a abc"), Is.EqualTo("abc a abc"));
            Assert.That(SecretMasker.IsTooShortToMask(value), Is.True);
        });
    }

    [Test]
    public void A_four_character_value_is_masked()
    {
        Assert.That(SecretMasker.For(["1234"]).Mask("pin 1234"), Is.EqualTo($"pin {Mask}"));
    }

    [Test]
    public void Non_ascii_secrets_are_masked_in_the_decoded_line()
    {
        var masker = SecretMasker.For(["pässwörd€"]);

        Assert.That(masker.Mask("→pässwörd€←"), Is.EqualTo($"→{Mask}←"));
    }

    [Test]
    public void A_multi_line_secret_is_masked_line_by_line()
    {
        var masker = SecretMasker.For(["-----BEGIN KEY-----\r\nMIIBOgIBAAJBAK\n-----END KEY-----"]);

        Assert.Multiple(() =>
        {
            Assert.That(masker.Mask("-----BEGIN KEY-----"), Is.EqualTo(Mask));
            Assert.That(masker.Mask("MIIBOgIBAAJBAK"), Is.EqualTo(Mask));
        });
    }

    [Test]
    public void Matching_is_case_sensitive_as_secrets_are()
    {
        Assert.That(SecretMasker.For(["Token"]).Mask("token Token"), Is.EqualTo($"token {Mask}"));
    }

    [Test]
    public void None_masks_nothing()
    {
        Assert.Multiple(() =>
        {
            Assert.That(SecretMasker.None.IsEmpty, Is.True);
            Assert.That(SecretMasker.None.Mask("anything"), Is.EqualTo("anything"));
        });
    }
}
