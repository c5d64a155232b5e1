using System.Security.Cryptography;
using System.Text;
using ScriptExec.Core.Crypto;

namespace ScriptExec.Core.Tests.Crypto;

public sealed class Sha256Tests
{
    // FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf").
    [TestCase("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [TestCase("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [TestCase("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    public void Known_answers(string message, string expectedHex) =>
        Assert.That(Convert.ToHexStringLower(Sha256.HashData(Encoding.ASCII.GetBytes(message))), Is.EqualTo(expectedHex));

    [Test]
    public void One_million_a()
    {
        var message = Enumerable.Repeat((byte)'a', 1_000_000).ToArray();
        Assert.That(Convert.ToHexStringLower(Sha256.HashData(message)),
            Is.EqualTo("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    }

    [Test]
    public void Equals_the_platform_hash_at_every_length_around_the_block_and_padding_edges()
    {
        // Lengths 0..200 cover one- and two-block padding (55/56 and 119/120 bytes) and several whole blocks.
        var random = new Random(12);
        for (var length = 0; length <= 200; length++)
        {
            var message = new byte[length];
            random.NextBytes(message);
            Assert.That(Sha256.HashData(message), Is.EqualTo(SHA256.HashData(message)), $"length {length}");
        }
    }

    [Test]
    public void Writes_into_a_span_and_refuses_a_short_one()
    {
        var message = "scriptexec"u8.ToArray();
        Span<byte> destination = stackalloc byte[40];
        Sha256.HashData(message, destination);
        Assert.That(destination[..32].ToArray(), Is.EqualTo(SHA256.HashData(message)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sha256.HashData(message, new byte[31]));
    }
}

public sealed class SecureRandomTests
{
    [Test]
    public void Fills_every_byte_and_differs_between_calls()
    {
        // 4 KiB of zeros from a working source has probability 2^-32768; two equal 32-byte draws 2^-256.
        var large = SecureRandom.GetBytes(4096);
        var first = SecureRandom.GetBytes(32);
        var second = SecureRandom.GetBytes(32);
        Assert.Multiple(() =>
        {
            Assert.That(large.Any(b => b != 0), Is.True);
            Assert.That(large.Distinct().Count(), Is.GreaterThan(200), "4 KiB of kernel randomness uses nearly every byte value");
            Assert.That(first, Is.Not.EqualTo(second));
            Assert.That(SecureRandom.GetBytes(0), Is.Empty);
        });
    }
}
