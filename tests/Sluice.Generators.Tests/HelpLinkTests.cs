using System;
using System.Linq;
using System.Reflection;
using Sluice.Generators.Helpers;
using Xunit;

namespace Sluice.Generators.Tests;

/// <summary>
/// The diagnostics' help links: an absolute URL of docs/diagnostics/SLxxxx.md built from SluiceRepositoryUrl (and the
/// commit the generator was built from) when the build sets it; no link at all when it does not (the pages then ship
/// inside the Sluice package). Never a relative path, which an IDE cannot open.
/// </summary>
public sealed class HelpLinkTests
{
    private const string Url = "https://github.com/example-org/sluice";

    /// <summary>The link the rule gives for <paramref name="id"/> with the address and commit stamped into this build of the generator.</summary>
    public static string Expected(string id)
    {
        var url = Metadata("SluiceRepositoryUrl");
        if (url.Length == 0)
        {
            return string.Empty;
        }

        var commit = Metadata("SluiceRepositoryCommit");
        return url + "/blob/" + (commit.Length == 0 ? "main" : commit) + "/docs/diagnostics/" + id + ".md";
    }

    [Fact]
    public void Every_descriptor_links_to_its_page_by_the_rule_of_this_build()
    {
        Assert.All(DiagnosticsTests.AllDescriptors, d => Assert.Equal(Expected(d.Id), d.HelpLinkUri));
    }

    [Fact]
    public void A_link_is_absolute_https_or_absent_never_relative()
    {
        var withAddress = Metadata("SluiceRepositoryUrl").Length > 0;
        foreach (var descriptor in DiagnosticsTests.AllDescriptors)
        {
            if (withAddress)
            {
                Assert.True(Uri.TryCreate(descriptor.HelpLinkUri, UriKind.Absolute, out var uri), $"{descriptor.Id}: '{descriptor.HelpLinkUri}' is not an absolute URL");
                Assert.Equal(Uri.UriSchemeHttps, uri!.Scheme);
                Assert.EndsWith("/docs/diagnostics/" + descriptor.Id + ".md", uri.AbsolutePath, StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal(string.Empty, descriptor.HelpLinkUri);
            }
        }
    }

    [Fact]
    public void The_generator_reads_back_the_address_and_commit_it_was_built_with()
    {
        Assert.Equal(Metadata("SluiceRepositoryUrl"), HelpLinks.RepositoryUrl);
        Assert.Equal(Metadata("SluiceRepositoryCommit"), HelpLinks.RepositoryCommit);
        if (HelpLinks.RepositoryUrl.Length == 0)
        {
            Assert.Equal(string.Empty, HelpLinks.RepositoryCommit);
        }
    }

    [Fact]
    public void With_an_address_and_a_commit_the_link_is_the_page_at_that_commit()
    {
        Assert.Equal(
            "https://github.com/example-org/sluice/blob/0123456789abcdef0123456789abcdef01234567/docs/diagnostics/SL0001.md",
            HelpLinks.Build(Url, "0123456789abcdef0123456789abcdef01234567", "SL0001"));
        Assert.Equal(
            "https://github.com/example-org/sluice/blob/abc/docs/diagnostics/SL0042.md",
            HelpLinks.Build(Url + "/", "abc", "SL0042"));
    }

    [Fact]
    public void With_an_address_but_no_commit_the_link_is_the_page_on_main()
    {
        Assert.Equal("https://github.com/example-org/sluice/blob/main/docs/diagnostics/SL9999.md", HelpLinks.Build(Url, string.Empty, "SL9999"));
    }

    [Fact]
    public void Without_an_address_there_is_no_link()
    {
        Assert.Equal(string.Empty, HelpLinks.Build(string.Empty, string.Empty, "SL0001"));
        Assert.Equal(string.Empty, HelpLinks.Build(string.Empty, "abc", "SL0001"));
    }

    private static string Metadata(string key) =>
        typeof(DiagnosticDescriptors).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(a => a.Key == key)?.Value ?? string.Empty;
}
