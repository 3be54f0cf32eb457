// The shared credentials/config files and the order of credential sources.
#include "credentials/answer_parsing.hpp"
#include "credentials/ini_file.hpp"

#include <ddbcache/credentials.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace ddbcache {
namespace {
using namespace credentials_files;

TEST(Iso8601, ReadsOffsetsAndFractionsAndRefusesYearsTheClockCannotHold) {
    using ddbcache::credentials_sources::parse_iso8601;
    const auto utc = parse_iso8601("2026-11-25T10:00:00Z");
    ASSERT_TRUE(utc);
    EXPECT_EQ(parse_iso8601("2026-11-25T11:30:00.123+01:30"), utc);
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(utc->time_since_epoch()).count(), 1795600800);
    EXPECT_FALSE(parse_iso8601("1013-11-25T10:00:00Z")) << "found by fuzz_credentials_answers: overflowed";
    EXPECT_FALSE(parse_iso8601("9999-01-01T00:00:00Z"));
    EXPECT_FALSE(parse_iso8601("2026-02-30T00:00:00Z"));
    EXPECT_FALSE(parse_iso8601("2026-11-25T10:00:00"));
}

// A hostile STS answer nested without bound fails with a message, not a stack overflow.
TEST(StsAnswer, XmlNestedPastThirtyTwoLevelsIsRefusedBeforeParsing) {
    std::string deep;
    for (int i = 0; i < 20'000; ++i) deep += "<a x='/>'>";
    const auto r = credentials_sources::parse_sts_credentials("STS", deep);
    EXPECT_EQ(r.ec, client_errc::credentials_unavailable);
    EXPECT_EQ(r.message, "STS: the answer's XML nests deeper than 32 levels");

    const std::string ok = "<?xml version=\"1.0\"?><!-- <a><b> --><AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>"
                           "<Credentials><AccessKeyId>AKID</AccessKeyId><SecretAccessKey>s</SecretAccessKey><Empty/>"
                           "</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
    const auto parsed = credentials_sources::parse_sts_credentials("STS", ok);
    EXPECT_FALSE(parsed.ec) << parsed.message;
    EXPECT_EQ(parsed.value.access_key_id, "AKID");
}

TEST(IniFile, ReadsCredentialsProfilesWithCommentsAndSpaces) {
    parse_error error;
    auto p = parse("# comment\n[default]\naws_access_key_id = AKID1 \n; another\naws_secret_access_key=s1 # trailing\n"
                   "\n[dev]\r\naws_access_key_id=AKID2\r\naws_secret_access_key = s#2\r\n",
                   file_kind::credentials, error);
    ASSERT_TRUE(p) << error.reason;
    EXPECT_EQ((*p)["default"]["aws_access_key_id"], "AKID1");
    EXPECT_EQ((*p)["default"]["aws_secret_access_key"], "s1");
    EXPECT_EQ((*p)["dev"]["aws_access_key_id"], "AKID2");
    EXPECT_EQ((*p)["dev"]["aws_secret_access_key"], "s#2"); // '#' without a space before it is data
}

TEST(IniFile, ConfigFileNamesProfilesWithThePrefixAndSkipsOtherSections) {
    parse_error error;
    auto p = parse("[default]\nregion = eu-west-1\n[profile dev]\nregion=us-east-2\ns3 =\n  max_concurrent_requests = 4\n"
                   "[sso-session corp]\nsso_region = us-east-1\n[dev]\nregion = nope\n",
                   file_kind::config, error);
    ASSERT_TRUE(p) << error.reason;
    EXPECT_EQ((*p)["default"]["region"], "eu-west-1");
    EXPECT_EQ((*p)["dev"]["region"], "us-east-2");
    EXPECT_EQ((*p)["dev"]["s3.max_concurrent_requests"], "4");
    EXPECT_EQ(p->count("sso-session corp"), 0u);
}

TEST(IniFile, MalformedLinesAreReportedByNumberWithoutTheirContent) {
    parse_error error;
    EXPECT_FALSE(parse("[default]\naws_secret_access_key verysecret\n", file_kind::credentials, error));
    EXPECT_EQ(error.line, 2u);
    EXPECT_EQ(error.reason.find("verysecret"), std::string::npos);
    EXPECT_FALSE(parse("key = value\n", file_kind::credentials, error));
    EXPECT_EQ(error.line, 1u);
    EXPECT_FALSE(parse("[default\n", file_kind::credentials, error));
}

class CredentialChain : public testing::Test {
protected:
    std::filesystem::path dir = std::filesystem::temp_directory_path() / ("ddbcache-creds-" + std::to_string(getpid()));
    void SetUp() override {
        std::filesystem::create_directories(dir);
        for (const char* n : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"})
            unsetenv(n);
        setenv("AWS_SHARED_CREDENTIALS_FILE", (dir / "credentials").c_str(), 1);
        setenv("AWS_CONFIG_FILE", (dir / "config").c_str(), 1);
    }
    void TearDown() override {
        std::filesystem::remove_all(dir);
        for (const char* n : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                              "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"})
            unsetenv(n);
    }
    void write(const char* name, const std::string& text) { std::ofstream(dir / name) << text; }
    credentials resolve(const credentials_options& o, error_code& ec, diagnostics& diag) {
        return resolve_credentials(o, ec, diag);
    }
};

TEST_F(CredentialChain, ExplicitThenEnvironmentThenCredentialsFileThenConfigFile) {
    write("credentials", "[default]\naws_access_key_id=FILEKEY\naws_secret_access_key=filesecret\n");
    write("config", "[default]\naws_access_key_id=CONFIGKEY\naws_secret_access_key=configsecret\n");
    error_code ec;
    diagnostics diag;
    EXPECT_EQ(resolve({}, ec, diag).access_key_id, "FILEKEY");
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    setenv("AWS_SESSION_TOKEN", "envtoken", 1);
    auto c = resolve({}, ec, diag);
    EXPECT_EQ(c.access_key_id, "ENVKEY");
    EXPECT_EQ(c.session_token, "envtoken");
    credentials_options explicit_options;
    explicit_options.explicit_credentials = credentials{"EXPLICIT", "x", ""};
    EXPECT_EQ(resolve(explicit_options, ec, diag).access_key_id, "EXPLICIT");
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    std::filesystem::remove(dir / "credentials");
    EXPECT_EQ(resolve({}, ec, diag).access_key_id, "CONFIGKEY");
    EXPECT_FALSE(ec);
}

TEST_F(CredentialChain, OneKeyOfTheEnvironmentsPairIsAnErrorNamingTheMissingOne) {
    write("credentials", "[default]\naws_access_key_id=FILEKEY\naws_secret_access_key=filesecret\n");
    error_code ec;
    diagnostics diag;
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
    resolve({}, ec, diag);
    EXPECT_EQ(ec, client_errc::no_credentials);
    EXPECT_EQ(diag.message, "partial credentials in the environment: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    unsetenv("AWS_ACCESS_KEY_ID");
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret-Q", 1);
    resolve({}, ec, diag);
    EXPECT_EQ(ec, client_errc::no_credentials);
    EXPECT_EQ(diag.message, "partial credentials in the environment: AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
}

TEST_F(CredentialChain, ProfileComesFromTheOptionThenAwsProfile) {
    write("credentials", "[default]\naws_access_key_id=D\naws_secret_access_key=d\n"
                         "[ci]\naws_access_key_id=C\naws_secret_access_key=c\naws_session_token=t\n");
    write("config", "[profile ci]\nregion = eu-north-1\n");
    error_code ec;
    diagnostics diag;
    setenv("AWS_PROFILE", "ci", 1);
    auto c = resolve({}, ec, diag);
    EXPECT_EQ(c.access_key_id, "C");
    EXPECT_EQ(c.session_token, "t");
    EXPECT_EQ(resolve_profile_region({}), "eu-north-1");
    credentials_options o;
    o.profile = "default";
    EXPECT_EQ(resolve(o, ec, diag).access_key_id, "D");
}

TEST_F(CredentialChain, AProfileNamedByAwsProfileThatNeitherFileHasIsAnErrorNamingItAndBothFiles) {
    write("credentials", "[default]\naws_access_key_id=D\naws_secret_access_key=d\n");
    setenv("AWS_PROFILE", "misspelt", 1);
    error_code ec;
    diagnostics diag;
    resolve({}, ec, diag);
    EXPECT_EQ(ec, client_errc::invalid_configuration);
    EXPECT_EQ(diag.message, "the profile 'misspelt' (named by AWS_PROFILE) is in neither " + (dir / "credentials").string() +
                                " nor " + (dir / "config").string());
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1); // keys found before the profile do not hide the mistake
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    resolve({}, ec, diag);
    EXPECT_EQ(ec, client_errc::invalid_configuration);
}

TEST_F(CredentialChain, AProfileNamedInTheOptionsMustExistEvenWhenItIsDefault) {
    credentials_options o;
    o.profile = "default"; // named, so it must exist: botocore's ProfileNotFound
    error_code ec;
    diagnostics diag;
    resolve(o, ec, diag);
    EXPECT_EQ(ec, client_errc::invalid_configuration);
    EXPECT_NE(diag.message.find("'default' (named explicitly)"), std::string::npos) << diag.message;
    write("config", "[profile only-in-config]\nregion = eu-west-1\n");
    o.profile = "only-in-config"; // a profile of the config file alone exists: no keys is the error
    resolve(o, ec, diag);
    EXPECT_EQ(ec, client_errc::no_credentials) << diag.message;
}

TEST_F(CredentialChain, NothingFoundNamesTheSourcesTried) {
    error_code ec;
    diagnostics diag;
    resolve({}, ec, diag);
    EXPECT_EQ(ec, client_errc::no_credentials);
    EXPECT_NE(diag.message.find("AWS_ACCESS_KEY_ID"), std::string::npos);
    EXPECT_NE(diag.message.find((dir / "credentials").string()), std::string::npos);
}

TEST_F(CredentialChain, SharedFilesSetToDevNullReadAsEmpty) {
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
    setenv("AWS_CONFIG_FILE", "/dev/null", 1);
    error_code ec;
    diagnostics diag;
    resolve({}, ec, diag);
    EXPECT_EQ(ec, client_errc::no_credentials) << diag.message;
}

TEST_F(CredentialChain, ASharedFileWithoutEndIsRefusedAtItsLimit) {
    setenv("AWS_CONFIG_FILE", "/dev/zero", 1);
    error_code ec;
    diagnostics diag;
    resolve({}, ec, diag);
    EXPECT_EQ(ec, client_errc::invalid_credentials_file);
    EXPECT_EQ(diag.message, "/dev/zero is larger than 1048576 bytes");
}

TEST_F(CredentialChain, MalformedFileIsAnErrorThatNeverQuotesTheSecret) {
    write("credentials", "[default]\naws_access_key_id=K\naws_secret_access_key wJalrXUtnSECRET\n");
    error_code ec;
    diagnostics diag;
    resolve({}, ec, diag);
    EXPECT_EQ(ec, client_errc::invalid_credentials_file);
    EXPECT_NE(diag.message.find(":3:"), std::string::npos) << diag.message;
    EXPECT_EQ(diag.message.find("wJalrXUtnSECRET"), std::string::npos);
}

} // namespace
} // namespace ddbcache
