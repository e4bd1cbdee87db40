// SPDX-License-Identifier: GPL-2.0
/*
 * The hosts the zone knows: a client's Information-request with a Client
 * FQDN option (RFC 4704) inside our zone registers name -> IPv6 (the
 * request's source) and the DUID and Reconfigure Key that on-demand
 * allocation needs.  The store's clients table keeps them across
 * restarts; this is its mirror, hashed by name and by DUID.
 *
 * One name, one host: the latest registration of a name wins, and a DUID
 * that registers another name gives up its old one.  Empty non-terminals
 * (b.zone. when a.b.zone. is a host) are counted so that they answer
 * NODATA, not NXDOMAIN (RFC 8020).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns_int.h"
#include "store.h"

static size_t hash_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--) {
		h ^= *b++;
		h *= 0x100000001b3ull;
	}
	return (size_t)h;
}

static size_t name_bucket(const struct dns *dns, const struct dns_wname *w)
{
	return hash_bytes(w->b, w->len) & (dns->hash_size - 1);
}

static bool wname_eq(const struct dns_wname *w, const uint8_t *b, size_t len)
{
	return w->len == len && !memcmp(w->b, b, len);
}

bool dns_wname(const char *name, struct dns_wname *w)
{
	ldns_rdf *r = ldns_dname_new_frm_str(name);
	bool ok = r && ldns_rdf_size(r) <= sizeof(w->b);

	if (ok) {
		ldns_dname2canonical(r);
		w->len = (uint16_t)ldns_rdf_size(r);
		memcpy(w->b, ldns_rdf_data(r), w->len);
	}
	ldns_rdf_deep_free(r);
	return ok;
}

static bool rdf_wname(const ldns_rdf *r, struct dns_wname *w)
{
	if (ldns_rdf_size(r) > sizeof(w->b))
		return false;
	w->len = (uint16_t)ldns_rdf_size(r);
	memcpy(w->b, ldns_rdf_data(r), w->len);
	return true;
}

static size_t duid_bucket(const struct dns *dns, const uint8_t *duid,
			  size_t len)
{
	return hash_bytes(duid, len) & (dns->hash_size - 1);
}

struct dns_host *dns_host_by_name(struct dns *dns, const uint8_t *wire,
				  size_t len)
{
	struct dns_wname k;
	struct dns_host *h;

	if (len > sizeof(k.b))
		return NULL;
	k.len = (uint16_t)len;
	memcpy(k.b, wire, len);
	for (h = dns->by_name[name_bucket(dns, &k)]; h; h = h->nnext)
		if (wname_eq(&h->wire, wire, len))
			return h;
	return NULL;
}

static struct dns_host *host_by_text(struct dns *dns, const char *name)
{
	struct dns_wname w;

	return dns_wname(name, &w) ? dns_host_by_name(dns, w.b, w.len) : NULL;
}

struct dns_host *dns_host_by_duid(struct dns *dns, const uint8_t *duid,
				  size_t len)
{
	struct dns_host *h;

	for (h = dns->by_duid[duid_bucket(dns, duid, len)]; h; h = h->dnext)
		if (h->duid_len == len && !memcmp(h->duid, duid, len))
			return h;
	return NULL;
}

static struct dns_ent *ent_find(struct dns *dns, const struct dns_wname *w)
{
	struct dns_ent *e;

	for (e = dns->ents[name_bucket(dns, w)]; e; e = e->next)
		if (wname_eq(&e->wire, w->b, w->len))
			return e;
	return NULL;
}

bool dns_is_ent(struct dns *dns, const uint8_t *wire, size_t len)
{
	struct dns_wname k;

	if (len > sizeof(k.b))
		return false;
	k.len = (uint16_t)len;
	memcpy(k.b, wire, len);
	return ent_find(dns, &k) != NULL;
}

static void ent_update(struct dns *dns, const struct dns_wname *w, int delta)
{
	struct dns_ent *e = ent_find(dns, w), **pp;

	if (delta > 0) {
		if (!e) {
			e = calloc(1, sizeof(*e));
			if (!e)
				return;
			e->wire = *w;
			pp = &dns->ents[name_bucket(dns, w)];
			e->next = *pp;
			*pp = e;
		}
		e->refs++;
	} else if (e && !--e->refs) {
		pp = &dns->ents[name_bucket(dns, w)];
		while (*pp != e)
			pp = &(*pp)->next;
		*pp = e->next;
		free(e);
	}
}

/* Every name strictly between the host's and the apex: refs += delta. */
static void ents_update(struct dns *dns, const char *name, int delta)
{
	ldns_rdf *r = ldns_dname_new_frm_str(name), *up;
	struct dns_wname w;

	if (!r)
		return;
	ldns_dname2canonical(r);
	for (;;) {
		up = ldns_dname_left_chop(r);
		ldns_rdf_deep_free(r);
		r = up;
		if (!r || ldns_dname_label_count(r) <= dns->zone_labels)
			break;
		if (rdf_wname(r, &w))
			ent_update(dns, &w, delta);
	}
	ldns_rdf_deep_free(r);
}

static void host_unlink(struct dns *dns, struct dns_host *h)
{
	struct dns_host **pp;

	pp = &dns->by_name[name_bucket(dns, &h->wire)];
	while (*pp && *pp != h)
		pp = &(*pp)->nnext;
	if (*pp)
		*pp = h->nnext;
	pp = &dns->by_duid[duid_bucket(dns, h->duid, h->duid_len)];
	while (*pp && *pp != h)
		pp = &(*pp)->dnext;
	if (*pp)
		*pp = h->dnext;
	ents_update(dns, h->name, -1);
	dns->n_hosts--;
	free(h->wc[DNS_WC_A]);
	free(h->wc[DNS_WC_AAAA]);
	free(h);
}

static void rehash(struct dns *dns, size_t n)
{
	struct dns_host **bn = calloc(n, sizeof(*bn)), **bd = calloc(n, sizeof(*bd));
	struct dns_ent **be = calloc(n, sizeof(*be));
	struct dns_host *h, *next;
	struct dns_ent *e, *enext;
	size_t i, old = dns->hash_size;

	if (!bn || !bd || !be) {
		free(bn);
		free(bd);
		free(be);
		return;		/* longer chains, still correct */
	}
	dns->hash_size = n;
	for (i = 0; i < old; i++) {
		for (h = dns->by_name[i]; h; h = next) {
			size_t b = name_bucket(dns, &h->wire);

			next = h->nnext;
			h->nnext = bn[b];
			bn[b] = h;
		}
		for (h = dns->by_duid[i]; h; h = next) {
			size_t b = duid_bucket(dns, h->duid, h->duid_len);

			next = h->dnext;
			h->dnext = bd[b];
			bd[b] = h;
		}
		for (e = dns->ents[i]; e; e = enext) {
			size_t b = name_bucket(dns, &e->wire);

			enext = e->next;
			e->next = be[b];
			be[b] = e;
		}
	}
	free(dns->by_name);
	free(dns->by_duid);
	free(dns->ents);
	dns->by_name = bn;
	dns->by_duid = bd;
	dns->ents = be;
}

bool dns_host_name(const struct dns *dns, const char *fqdn, bool partial,
		   char *out, size_t outlen)
{
	const char *zone = dns->cfg->zone;
	char buf[DSTMD_DNS_NAME_MAX * 2];
	size_t n, zl = strlen(zone);

	if (!fqdn || !*fqdn)
		return false;
	if (partial)	/* RFC 4704 4.3: the server completes it */
		snprintf(buf, sizeof(buf), "%s.%s", fqdn, zone);
	else
		snprintf(buf, sizeof(buf), "%s", fqdn);
	if (!dns_name_norm(buf, out, outlen))
		return false;
	n = strlen(out);
	return n > zl && out[n - zl - 1] == '.' && !strcmp(out + n - zl, zone);
}

bool dns_serves(struct dstmd *d, const char *fqdn, bool partial)
{
	char name[DSTMD_DNS_NAME_MAX];

	return d->dns && dns_host_name(d->dns, fqdn, partial, name, sizeof(name));
}

static void host_set(struct dns *dns, const uint8_t *duid, size_t duid_len,
		     const struct in6_addr *ipv6, const char *name,
		     const uint8_t *key)
{
	struct dns_host *h = dns_host_by_duid(dns, duid, duid_len), *o;
	struct dns_wname w;
	size_t b;

	if (h && name && !strcmp(h->name, name)) {	/* the same again */
		h->ipv6 = *ipv6;
		h->has_key = key != NULL;
		if (key)
			memcpy(h->key, key, sizeof(h->key));
		return;
	}
	if (h)
		host_unlink(dns, h);
	if (!name || !dns_wname(name, &w))
		goto changed;
	o = host_by_text(dns, name);
	if (o)
		host_unlink(dns, o);	/* the name moved to this DUID */
	if (dns->n_hosts + 1 > dns->hash_size)
		rehash(dns, dns->hash_size * 2);
	h = calloc(1, sizeof(*h));
	if (!h)
		return;
	strcpy(h->name, name);
	h->wire = w;
	memcpy(h->duid, duid, duid_len);
	h->duid_len = (uint16_t)duid_len;
	h->ipv6 = *ipv6;
	h->has_key = key != NULL;
	if (key)
		memcpy(h->key, key, sizeof(h->key));
	b = name_bucket(dns, &w);
	h->nnext = dns->by_name[b];
	dns->by_name[b] = h;
	b = duid_bucket(dns, duid, duid_len);
	h->dnext = dns->by_duid[b];
	dns->by_duid[b] = h;
	ents_update(dns, name, 1);
	dns->n_hosts++;
changed:
	/* The SOA serial moves with the zone's contents. */
	if ((uint32_t)time(NULL) > dns->serial)
		dns->serial = (uint32_t)time(NULL);
	else
		dns->serial++;
}

void dns_host_seen(struct dstmd *d, const uint8_t *duid, size_t duid_len,
		   const struct in6_addr *ipv6, const char *fqdn,
		   bool partial, const uint8_t *key)
{
	struct dns *dns = d->dns;
	char name[DSTMD_DNS_NAME_MAX];

	if (!dns || !duid_len || duid_len > D6_DUID_MAX)
		return;
	ondemand_heard(dns, duid, duid_len);
	if (!dns_host_name(dns, fqdn, partial, name, sizeof(name))) {
		if (dns_host_by_duid(dns, duid, duid_len))
			host_set(dns, duid, duid_len, ipv6, NULL, NULL);
		return;
	}
	host_set(dns, duid, duid_len, ipv6, name, key);
}

bool dns_host_same(struct dstmd *d, const uint8_t *duid, size_t duid_len,
		   const struct in6_addr *ipv6, const char *fqdn,
		   bool partial, const uint8_t *key)
{
	struct dns *dns = d->dns;
	char name[DSTMD_DNS_NAME_MAX];
	const struct dns_host *h;

	if (!dns || !key || !duid_len || duid_len > D6_DUID_MAX ||
	    !dns_host_name(dns, fqdn, partial, name, sizeof(name)))
		return false;
	h = dns_host_by_duid(dns, duid, duid_len);
	return h && h->has_key && !memcmp(h->key, key, sizeof(h->key)) &&
	       IN6_ARE_ADDR_EQUAL(&h->ipv6, ipv6) && !strcmp(h->name, name);
}

static int load_one(const uint8_t *duid, size_t duid_len,
		    const struct in6_addr *ipv6, const char *fqdn,
		    const uint8_t *key, size_t key_len, void *arg)
{
	struct dns *dns = arg;
	char name[DSTMD_DNS_NAME_MAX];
	size_t n = fqdn ? strlen(fqdn) : 0;

	if (!duid_len || duid_len > D6_DUID_MAX || !n)
		return 0;
	/* Stored as sent: "a.dstm.test." (full) or "a" (partial). */
	if (!dns_host_name(dns, fqdn, fqdn[n - 1] != '.', name, sizeof(name)))
		return 0;
	host_set(dns, duid, duid_len, ipv6, name, key_len == 16 ? key : NULL);
	return 0;
}

int dns_hosts_init(struct dns *dns)
{
	dns->hash_size = DNS_HASH_MIN;
	dns->by_name = calloc(dns->hash_size, sizeof(*dns->by_name));
	dns->by_duid = calloc(dns->hash_size, sizeof(*dns->by_duid));
	dns->ents = calloc(dns->hash_size, sizeof(*dns->ents));
	if (!dns->by_name || !dns->by_duid || !dns->ents)
		return -1;
	dns->serial = (uint32_t)time(NULL);
	if (dns->d->store &&
	    store_each_client(dns->d->store, load_one, dns)) {
		err("DNS: cannot load the registered hosts: %s",
		    store_errmsg(dns->d->store));
		return -1;
	}
	dns->serial = (uint32_t)time(NULL);
	info("DNS: %zu hosts registered in %s", dns->n_hosts, dns->cfg->zone);
	return 0;
}

void dns_hosts_free(struct dns *dns)
{
	size_t i;

	for (i = 0; dns->by_name && i < dns->hash_size; i++)
		while (dns->by_name[i])
			host_unlink(dns, dns->by_name[i]);
	for (i = 0; dns->ents && i < dns->hash_size; i++)
		while (dns->ents[i]) {
			struct dns_ent *e = dns->ents[i];

			dns->ents[i] = e->next;
			free(e);
		}
	free(dns->by_name);
	free(dns->by_duid);
	free(dns->ents);
	dns->by_name = dns->by_duid = NULL;
	dns->ents = NULL;
}
