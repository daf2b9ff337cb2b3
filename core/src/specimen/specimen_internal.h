/* libdocex internals of the specimen loader (not installed). */
#ifndef DOCEX_SPECIMEN_INTERNAL_H
#define DOCEX_SPECIMEN_INTERNAL_H

#include <jansson.h>

#include "docex/specimen.h"

#define DX_SPECIMEN_MAX_HOLDER 16

struct dx_specimen {
    dx_specimen_info info;
    json_t *root;               /* the parsed manifest: strings point into it */
    char **pool;                /* strings made here (paths, file names) */
    size_t n_pool, cap_pool;
    const char *sides[DX_SPECIMEN_MAX_SIDES];
    const char *lights[DX_SPECIMEN_MAX_ILLUMINATIONS];
    dx_specimen_holder_field holder[DX_SPECIMEN_MAX_HOLDER];
    int pace[4];
    dx_specimen_element elems[DX_SPECIMEN_MAX_ELEMENTS];
    size_t n_elems;
    dx_specimen_feature feats[DX_SPECIMEN_MAX_FEATURES];
    const char *feat_lights[DX_SPECIMEN_MAX_FEATURES][DX_SPECIMEN_MAX_ILLUMINATIONS];
    size_t n_feats;
    dx_specimen_reference refs[DX_SPECIMEN_MAX_SIDES * DX_SPECIMEN_MAX_ILLUMINATIONS];
    size_t n_refs;
};

/* Check and load a manifest held in memory: `file` names it in messages,
 * `dir` is the specimen's directory (reference images are looked up there;
 * it need not exist), `expect_id` (NULL: any) the id the manifest must
 * carry.  Same statuses and messages as dx_specimen_open(). */
dx_status dx_specimen_parse(const char *json, size_t len, const char *file, const char *dir,
                            const char *expect_id, dx_specimen **out, dx_error *err);

/* Is `id` a specimen id (the pattern of the schema, shorter than
 * DX_SPECIMEN_ID_MAX)? */
bool dx_specimen_id_ok(const char *id);

#endif
