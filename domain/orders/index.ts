export { parseShippingAddress, shippingAddressSchema } from './shipping-address';
