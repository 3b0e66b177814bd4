# A token for any provider argument, through the `external` data source (hashicorp/external):
# tokex reads the query from stdin and prints token, token_type and expires_at (RFC 3339).
data "external" "acme_vcd" {
  program = ["tokex", "external"]
  query   = { profile = "acme-vcd" }
}

provider "vcd" {
  url       = "https://vcd.example.com/api"
  org       = "acme"
  auth_type = "token"
  token     = data.external.acme_vcd.result.token
}
