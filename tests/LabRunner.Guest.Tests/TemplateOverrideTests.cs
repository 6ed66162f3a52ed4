using LabRunner.Guest.Templates;

namespace LabRunner.Guest.Tests;

/// <summary>A project's templates replace the defaults, and every template mistake points into the template.</summary>
public class TemplateOverrideTests
{
    private static GuestRenderResult RenderWith(string relativePath, string text, string lab = Labs.SingleNat)
    {
        var plan = Labs.Plan(lab);
        var renderer = new GuestConfigRenderer(new InMemoryTemplateSource([new(relativePath, text)]));
        return renderer.Render(plan.Lab, plan.Vms[0], Labs.Secrets);
    }

    [Fact]
    public void A_project_template_replaces_the_default_and_the_others_stay()
    {
        var result = RenderWith(TemplateNames.MetaData, "instance-id: {{ instance_id | yaml.quote }}\nlocal-hostname: \"custom-{{ vm.name }}\"\n");
        var defaults = Labs.Render(Labs.SingleNat);

        Assert.False(result.HasErrors);
        Assert.Contains("local-hostname: \"custom-web\"", result[GuestConfigRenderer.MetaDataFile].Text, StringComparison.Ordinal);
        Assert.Equal(defaults[GuestConfigRenderer.UserDataFile].Content, result[GuestConfigRenderer.UserDataFile].Content);
        Assert.Equal(defaults[GuestConfigRenderer.NetworkConfigFile].Content, result[GuestConfigRenderer.NetworkConfigFile].Content);
    }

    [Fact]
    public void A_syntax_error_is_LAB601_at_the_templates_path_line_and_column()
    {
        var result = RenderWith(TemplateNames.UserData, "#cloud-config\nhostname: x\npackages: {{ if }}\n");

        var error = result.Diagnostics.First();
        Assert.Equal("LAB601", error.Code);
        Assert.Equal("templates/cloud-init/user-data", error.Span.File);
        Assert.Equal(3, error.Span.Line);
        // Scriban reports the token it could not use: the '}}' after 'if'.
        Assert.Equal("packages: {{ if ".Length + 1, error.Span.Column);
        Assert.StartsWith("templates/cloud-init/user-data:3:17: error LAB601: ", error.ToString(), StringComparison.Ordinal);
        Assert.Empty(result.Files);
    }

    [Fact]
    public void An_unknown_function_is_LAB601_where_it_is_called()
    {
        const string line = "    local-hostname: {{ vm.hostname | no_such_function }}";
        var result = RenderWith(TemplateNames.MetaData, "instance-id: {{ instance_id }}\n" + line + "\n");

        var error = Assert.Single(result.Diagnostics);
        Assert.Equal("LAB601", error.Code);
        Assert.Equal(new LabRunner.Core.Diagnostics.SourceSpan("templates/cloud-init/meta-data", 2, line.IndexOf("no_such_function", StringComparison.Ordinal) + 1), error.Span);
        Assert.Contains("no_such_function", error.Message, StringComparison.Ordinal);
        Assert.Empty(result.Files);
    }

    [Fact]
    public void A_misspelt_member_is_an_error_rather_than_empty_text()
    {
        var result = RenderWith(TemplateNames.NetworkConfig, "version: 2\nethernets: {}\n# {{ vm.hostnme }}\n");

        var error = Assert.Single(result.Diagnostics);
        Assert.Equal("LAB601", error.Code);
        Assert.Equal(3, error.Span.Line);
    }

    [Fact]
    public void Output_that_is_not_yaml_is_LAB603_at_the_template()
    {
        var result = RenderWith(TemplateNames.NetworkConfig, "version: 2\nethernets: [unclosed\n");

        var error = Assert.Single(result.Diagnostics);
        Assert.Equal("LAB603", error.Code);
        Assert.Equal("templates/cloud-init/network-config", error.Span.File);
        Assert.Empty(result.Files);
    }

    [Fact]
    public void Output_that_is_not_xml_is_LAB603_at_the_template()
    {
        var result = RenderWith(TemplateNames.Unattend, "<unattend><settings></unattend>\n", Labs.Windows);

        var error = Assert.Single(result.Diagnostics);
        Assert.Equal("LAB603", error.Code);
        Assert.Equal("templates/windows/unattend.xml", error.Span.File);
    }

    [Fact]
    public void A_template_cannot_change_the_values_other_templates_see()
    {
        var result = RenderWith(TemplateNames.NetworkConfig, "{{ vm.hostname = 'hacked' }}version: 2\nethernets: {}\n");

        Assert.Equal("LAB601", Assert.Single(result.Diagnostics).Code);
    }

    [Fact]
    public void Template_variables_of_its_own_are_allowed()
    {
        var result = RenderWith(TemplateNames.NetworkConfig, "{{ name = vm.name + '-x' }}version: 2\nethernets: {}\n# {{ name }}\n");

        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        Assert.EndsWith("# web-x\n", result[GuestConfigRenderer.NetworkConfigFile].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_template_saved_with_crlf_renders_with_lf()
    {
        var defaultText = EmbeddedTemplateSource.Instance.Find(TemplateNames.NetworkConfig)!.Text;
        var result = RenderWith(TemplateNames.NetworkConfig, defaultText.Replace("\n", "\r\n", StringComparison.Ordinal), Labs.MultiNic);

        Assert.Equal(Labs.Render(Labs.MultiNic)[GuestConfigRenderer.NetworkConfigFile].Content, result[GuestConfigRenderer.NetworkConfigFile].Content);
    }

    [Fact]
    public void The_password_never_reaches_a_diagnostic()
    {
        // 'include' quotes its argument in Scriban's error message: the encoded password, here.
        var result = RenderWith(TemplateNames.Unattend,
            "<a>{{ include secrets.administrator_password_encoded }}{{ include secrets.password_encoded }}</a>", Labs.Windows);

        var error = Assert.Single(result.Diagnostics);
        Assert.Equal("LAB601", error.Code);
        Assert.Contains("***", error.Message, StringComparison.Ordinal);
        foreach (var secret in new[] { Labs.TestPassword, Windows.UnattendPassword.Encode(Labs.TestPassword, "AdministratorPassword"), Windows.UnattendPassword.Encode(Labs.TestPassword, "Password") })
            Assert.DoesNotContain(secret, error.ToString(), StringComparison.Ordinal);
    }
}
