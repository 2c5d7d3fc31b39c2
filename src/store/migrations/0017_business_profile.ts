// The account's business, as the merchant describes it (core/catalog/prohibited-businesses.ts):
// a merchant category code, a category name, or both; both empty until set.
export default /* sql */ `
ALTER TABLE accounts ADD COLUMN business_mcc text;
ALTER TABLE accounts ADD COLUMN business_category text;
`;
