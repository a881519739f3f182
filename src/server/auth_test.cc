#include "server/auth.h"

#include <gtest/gtest.h>

#include <set>

#include "testing/test_inventory.h"

namespace allot {
namespace {

using testing::Tenant;

// root -> acme -> research -> agent-7, root -> acme -> agents, root -> other.
Tenancy MakeTenancy() {
  Result<Tenancy> tenancy =
      Tenancy::Create({Tenant("acme"), Tenant("research", "acme"), Tenant("agent-7", "research"),
                       Tenant("agents", "acme"), Tenant("other")},
                      {}, ResourceVector(), ResourceCatalog());
  ALLOT_CHECK(tenancy.ok());
  return *tenancy;
}

ApiKeySpec Key(std::string name, std::string_view key, std::string tenant, Role role) {
  return ApiKeySpec{std::move(name), Sha256Hex(key), std::move(tenant), role, ""};
}

TEST(Auth, Sha256KnownVectors) {
  // FIPS 180-2, appendix B.1, and the empty string.
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Auth, GeneratedKeysAreRandomBase64Url) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    Result<std::string> key = GenerateApiKey();
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    ASSERT_EQ(key->size(), 6u + 43u) << *key;  // 256 bits in 6-bit characters
    EXPECT_EQ(key->substr(0, 6), "allot_");
    for (char c : key->substr(6)) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << *key;
    }
    seen.insert(*key);
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST(Auth, AuthenticatesBearerKeys) {
  Tenancy tenancy = MakeTenancy();
  Result<KeyStore> store =
      KeyStore::Create({Key("ops", "allot_ops", "", Role::kAdmin),
                        Key("bot", "allot_bot", "acme/research", Role::kAgent),
                        Key("lead", "allot_lead", "agents", Role::kTenantAdmin)},
                       tenancy);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_FALSE(store->open());
  for (std::string_view header : {"Bearer allot_bot", "bearer allot_bot", "BEARER allot_bot",
                                  "  Bearer   allot_bot \t", "Bearer\tallot_bot"}) {
    Result<Principal> principal = store->Authenticate(header);
    ASSERT_TRUE(principal.ok()) << header << ": " << principal.status().ToString();
    EXPECT_EQ(principal->key_name, "bot");
    EXPECT_EQ(principal->tenant, tenancy.FindTenant("acme/research"));
    EXPECT_EQ(principal->tenant_path, "acme/research");
    EXPECT_EQ(principal->role, Role::kAgent);
  }
  Result<Principal> ops = store->Authenticate("Bearer allot_ops");
  ASSERT_TRUE(ops.ok());
  EXPECT_EQ(ops->tenant, 0);
  EXPECT_EQ(ops->tenant_path, "");
  EXPECT_EQ(ops->role, Role::kAdmin);
  Result<Principal> lead = store->Authenticate("Bearer allot_lead");
  ASSERT_TRUE(lead.ok());
  EXPECT_EQ(lead->tenant_path, "acme/agents");

  for (std::string_view header :
       {"", "   ", "allot_bot", "Basic allot_bot", "Bearer", "Bearer ", "Bearerallot_bot",
        "Bearer allot_bot extra", "Token allot_bot", "Bearer allot_\x01"}) {
    Result<Principal> principal = store->Authenticate(header);
    ASSERT_FALSE(principal.ok()) << header;
    EXPECT_EQ(principal.status(), Unauthenticated("missing bearer token")) << header;
  }
  for (std::string_view header : {"Bearer allot_nobody", "Bearer ALLOT_BOT"}) {
    Result<Principal> principal = store->Authenticate(header);
    ASSERT_FALSE(principal.ok()) << header;
    EXPECT_EQ(principal.status(), Unauthenticated("unknown API key")) << header;
  }
  // The configured digest itself is not a key.
  EXPECT_FALSE(store->Authenticate("Bearer " + Sha256Hex("allot_bot")).ok());
}

TEST(Auth, OpenStoreIsRootAdmin) {
  Result<KeyStore> store = KeyStore::Create({}, MakeTenancy());
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE(store->open());
  for (std::string_view header : {"", "Bearer whatever"}) {
    Result<Principal> principal = store->Authenticate(header);
    ASSERT_TRUE(principal.ok());
    EXPECT_EQ(principal->tenant, 0);
    EXPECT_EQ(principal->role, Role::kAdmin);
  }
}

TEST(Auth, CreateRefusesBadKeys) {
  Tenancy tenancy = MakeTenancy();
  auto error = [&](const std::vector<ApiKeySpec>& keys) {
    Result<KeyStore> store = KeyStore::Create(keys, tenancy);
    return store.ok() ? std::string("(ok)") : store.status().message();
  };
  EXPECT_EQ(error({Key("bot", "a", "acme/reserch", Role::kAgent)}),
            "api_keys[0] (bot).tenant: unknown tenant 'acme/reserch'");
  EXPECT_EQ(error({Key("ops", "a", "acme", Role::kAdmin)}),
            "api_keys[0] (ops).role: an admin key must be bound to the root");
  EXPECT_EQ(
      error({Key("a", "same", "acme", Role::kAgent), Key("b", "same", "other", Role::kAgent)}),
      "api_keys[1] (b).sha256: the same key as another entry");
  EXPECT_EQ(error({Key("a", "x", "acme", Role::kAgent), Key("a", "y", "other", Role::kAgent)}),
            "api_keys[1] (a).name: duplicate API key name");
  EXPECT_EQ(error({Key("", "x", "acme", Role::kAgent)}), "api_keys[0] ().name: must not be empty");
  ApiKeySpec plaintext = Key("bot", "x", "acme", Role::kAgent);
  plaintext.sha256 = "allot_x";
  EXPECT_EQ(error({plaintext}), "api_keys[0] (bot).sha256: must be 64 lowercase hex digits");
  EXPECT_EQ(
      error({Key("ok", "x", "/", Role::kAdmin), Key("by-name", "y", "agent-7", Role::kAgent)}),
      "(ok)");
}

Principal At(const Tenancy& tenancy, std::string_view path, Role role = Role::kAgent) {
  int tenant = FindKeyTenant(tenancy, path);
  ALLOT_CHECK(tenant >= 0);
  return Principal{"k", tenant, tenancy.tenant(tenant).path, role, "", ""};
}

TEST(Auth, CoversItsSubtreeByIndex) {
  Tenancy tenancy = MakeTenancy();
  const std::vector<std::string_view> all = {
      "", "acme", "acme/research", "acme/research/agent-7", "acme/agents", "other"};
  // Per principal: which of `all` it covers.
  const std::vector<std::pair<std::string_view, std::vector<bool>>> expected = {
      {"", {true, true, true, true, true, true}},
      {"acme", {false, true, true, true, true, false}},
      {"acme/research", {false, false, true, true, false, false}},
      {"acme/research/agent-7", {false, false, false, true, false, false}},
      {"other", {false, false, false, false, false, true}},
  };
  for (const auto& [own, covers] : expected) {
    Principal principal = At(tenancy, own);
    for (size_t t = 0; t < all.size(); ++t) {
      EXPECT_EQ(Covers(tenancy, principal, FindKeyTenant(tenancy, all[t])), covers[t])
          << "'" << own << "' covers '" << all[t] << "'";
      // The path form agrees with the tree.
      EXPECT_EQ(Covers(principal, all[t]), covers[t])
          << "'" << own << "' covers '" << all[t] << "'";
    }
  }
  Principal root = At(tenancy, "");
  EXPECT_FALSE(Covers(tenancy, root, -1));
  EXPECT_FALSE(Covers(tenancy, root, static_cast<int>(tenancy.tenant_count())));
}

TEST(Auth, PathCoverageStopsAtSlashBoundaries) {
  Principal research{"k", 1, "acme/re", Role::kAgent, "", ""};
  EXPECT_FALSE(Covers(research, "acme/research"));
  EXPECT_TRUE(Covers(research, "acme/re"));
  EXPECT_TRUE(Covers(research, "acme/re/x"));
  EXPECT_FALSE(Covers(research, "acme"));
  EXPECT_FALSE(Covers(research, ""));
  Principal acme{"k", 1, "acme", Role::kAgent, "", ""};
  EXPECT_FALSE(Covers(acme, "acmeco/x"));
  EXPECT_TRUE(Covers(acme, "acme/research/agent-7/sub"));
  Principal root{"k", 0, "", Role::kAgent, "", ""};
  EXPECT_TRUE(Covers(root, "anything/at/all"));
}

TEST(Auth, RoleTable) {
  const Action actions[] = {Action::kLeaseWrite, Action::kLeaseCancelAny, Action::kRead,
                            Action::kReport,     Action::kNodeAdmin,      Action::kReload};
  // docs/api.md, Auth: per role, per action above.
  const std::pair<Role, std::vector<bool>> table[] = {
      {Role::kAgent, {true, false, true, false, false, false}},
      {Role::kTenantAdmin, {true, true, true, true, false, false}},
      {Role::kAdmin, {true, true, true, true, true, true}},
  };
  for (const auto& [role, allowed] : table) {
    Principal principal{"k", 0, "", role, "", ""};
    for (size_t a = 0; a < std::size(actions); ++a) {
      Status status = Allow(principal, actions[a]);
      EXPECT_EQ(status.ok(), allowed[a]) << RoleName(role) << " " << ActionName(actions[a]);
      if (!status.ok()) {
        EXPECT_EQ(status.code(), StatusCode::kPermissionDenied);
      }
    }
  }
  EXPECT_EQ(
      Allow(Principal{"bot", 2, "acme/research", Role::kAgent, "", ""}, Action::kReport).message(),
      "API key 'bot' has role agent, which may not read reports and usage exports (needs "
      "tenant_admin)");
  EXPECT_EQ(
      Allow(Principal{"lead", 1, "acme", Role::kTenantAdmin, "", ""}, Action::kReload).message(),
      "API key 'lead' has role tenant_admin, which may not reload the configuration or "
      "write snapshots (needs admin)");
}

TEST(Auth, RoleNamesRoundTrip) {
  for (Role role : {Role::kAgent, Role::kTenantAdmin, Role::kAdmin}) {
    Role parsed = Role::kAgent;
    ASSERT_TRUE(ParseRole(RoleName(role), &parsed));
    EXPECT_EQ(parsed, role);
  }
  Role parsed = Role::kAgent;
  EXPECT_FALSE(ParseRole("Admin", &parsed));
  EXPECT_FALSE(ParseRole("", &parsed));
}

}  // namespace
}  // namespace allot
